/**
 * Remembers client-assertion `jti`s until their assertion expires, so a captured assertion cannot be replayed.
 *
 * In memory and per process: with several server instances behind a load balancer, an assertion replayed to a
 * different instance within its (at most five-minute) lifetime would be accepted once there. Deployments with
 * several instances should pin the token endpoint to one instance or share this cache (e.g. a MongoDB collection
 * with a unique index on the key and a TTL index on the expiry).
 */
export class ReplayCache {
  private readonly seen = new Map<string, number>();

  constructor(private readonly maxEntries = 100_000) {}

  /**
   * Records `key` until `expiresAtMs`. 'replayed' when it is already recorded; 'full' when the cache holds
   * `maxEntries` live keys, in which case the assertion is refused too (failing closed rather than forgetting).
   */
  remember(key: string, expiresAtMs: number, nowMs = Date.now()): 'new' | 'replayed' | 'full' {
    this.evictExpired(nowMs);
    const until = this.seen.get(key);
    if (until !== undefined && until > nowMs) return 'replayed';
    if (this.seen.size >= this.maxEntries) return 'full';
    this.seen.set(key, expiresAtMs);
    return 'new';
  }

  get size(): number {
    return this.seen.size;
  }

  private evictExpired(nowMs: number): void {
    // Entries are inserted with nearly increasing expiry (lifetimes are capped), so the oldest come first.
    for (const [key, until] of this.seen) {
      if (until > nowMs) break;
      this.seen.delete(key);
    }
  }
}
