import type { CompactJWSHeaderParameters, JWTVerifyGetKey } from 'jose';
import type { AccessPolicy } from './access-policy';

/**
 * A token accepted before. `key` and `header` are kept for tokens verified with keys that can change (an external
 * issuer's JWKS): the entry holds only while the key set still resolves `header` to that very key.
 */
export interface VerifiedToken {
  policy: AccessPolicy;
  until: number;
  header?: CompactJWSHeaderParameters;
  key?: Awaited<ReturnType<JWTVerifyGetKey>>;
}

/**
 * Policies of tokens already verified, keyed by the exact token text. A client sends the same token with every
 * request for its lifetime, and an ES384 signature check costs about a millisecond, so re-verifying each time would
 * dominate the cost of a read.
 *
 * An entry lives until the token expires (plus the clock tolerance) but at most MAX_AGE_MS. Only successes are
 * kept; the oldest entry makes room when the cache is full.
 */
const MAX_AGE_MS = 5 * 60_000;

export class VerifiedTokens {
  private readonly entries = new Map<string, VerifiedToken>();

  constructor(private readonly maxEntries = 10_000) {}

  get(token: string, nowMs = Date.now()): VerifiedToken | undefined {
    const hit = this.entries.get(token);
    if (!hit) return undefined;
    if (hit.until <= nowMs) {
      this.entries.delete(token);
      return undefined;
    }
    return hit;
  }

  /** `validUntilMs`: the token's exp plus the clock tolerance. */
  set(token: string, entry: Omit<VerifiedToken, 'until'>, validUntilMs: number, nowMs = Date.now()): void {
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, { ...entry, until: Math.min(validUntilMs, nowMs + MAX_AGE_MS) });
  }

  delete(token: string): void {
    this.entries.delete(token);
  }

  get size(): number {
    return this.entries.size;
  }
}
