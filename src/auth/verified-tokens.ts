import type { CompactJWSHeaderParameters, JWTVerifyGetKey } from 'jose';
import { LRUCache } from 'lru-cache';
import type { AccessPolicy } from './access-policy';

/**
 * A token accepted before. `key` and `header` are kept for tokens verified with keys that can change (an external
 * issuer's JWKS): the entry holds only while the key set still resolves `header` to that very key (authenticate.ts).
 */
export interface VerifiedToken {
  policy: AccessPolicy;
  header?: CompactJWSHeaderParameters;
  key?: Awaited<ReturnType<JWTVerifyGetKey>>;
}

/** An entry lives until its token expires (plus the clock tolerance), but at most this long. */
const MAX_AGE_MS = 5 * 60_000;

/**
 * Policies of tokens already verified, keyed by the exact token text. A client sends the same token with every
 * request for its lifetime, and an ES384 signature check costs about a millisecond, so re-verifying each time would
 * dominate the cost of a read. Only successes are kept, in an LRU cache (`lru-cache`) of bounded size whose entries
 * expire with their tokens.
 */
export class VerifiedTokens {
  private readonly entries: LRUCache<string, VerifiedToken>;
  private readonly clock: { now(): number };

  /**
   * `max` entries (10,000). Entries age by the wall clock (`now`, Date.now), the clock tokens' exp is read by, read on
   * every lookup (ttlResolution 0: lru-cache would otherwise reuse a reading for a millisecond).
   */
  constructor({ max = 10_000, now = () => Date.now() }: { max?: number; now?: () => number } = {}) {
    this.clock = { now };
    this.entries = new LRUCache({ max, ttl: MAX_AGE_MS, perf: this.clock, ttlResolution: 0 });
  }

  get(token: string): VerifiedToken | undefined {
    return this.entries.get(token);
  }

  /** `validUntilMs`: the token's exp plus the clock tolerance, in milliseconds. */
  set(token: string, entry: VerifiedToken, validUntilMs: number): void {
    const ttl = Math.min(validUntilMs - this.clock.now(), MAX_AGE_MS);
    // A ttl of 0 would mean "never expires" to lru-cache: a token about to expire is simply not kept.
    if (ttl >= 1) this.entries.set(token, entry, { ttl });
  }

  delete(token: string): void {
    this.entries.delete(token);
  }

  get size(): number {
    return this.entries.size;
  }
}
