import type { AccessPolicy } from './access-policy';

/**
 * Policies of tokens already verified, keyed by the exact token text. A client sends the same token with every
 * request for its lifetime, and an ES384 signature check costs about a millisecond, so re-verifying each time would
 * dominate the cost of a read.
 *
 * An entry lives until the token expires (plus the clock tolerance) but at most MAX_AGE_MS, so a key the issuer
 * withdraws stops being honoured within that time, the same bound jose's JWKS cache gives. Only successes are
 * kept; the oldest entry makes room when the cache is full.
 */
const MAX_AGE_MS = 5 * 60_000;

export class VerifiedTokens {
  private readonly entries = new Map<string, { policy: AccessPolicy; until: number }>();

  constructor(private readonly maxEntries = 10_000) {}

  get(token: string, nowMs = Date.now()): AccessPolicy | undefined {
    const hit = this.entries.get(token);
    if (!hit) return undefined;
    if (hit.until <= nowMs) {
      this.entries.delete(token);
      return undefined;
    }
    return hit.policy;
  }

  /** `validUntilMs`: the token's exp plus the clock tolerance. */
  set(token: string, policy: AccessPolicy, validUntilMs: number, nowMs = Date.now()): void {
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, { policy, until: Math.min(validUntilMs, nowMs + MAX_AGE_MS) });
  }

  get size(): number {
    return this.entries.size;
  }
}
