import { LRUCache } from 'lru-cache';

/**
 * Remembers client-assertion `jti`s until their assertion expires, so a captured assertion cannot be replayed.
 *
 * In memory and per process: with several server instances behind a load balancer, an assertion replayed to a
 * different instance within its (at most five-minute) lifetime would be accepted once there. Deployments with
 * several instances should pin the token endpoint to one instance or share this cache (e.g. a MongoDB collection
 * with a unique index on the key and a TTL index on the expiry).
 */
export class ReplayCache {
  private readonly seen: LRUCache<string, true>;
  private readonly clock: { now(): number };

  /** At most `maxEntries` live keys (100,000); entries age by `now` (Date.now), read on every lookup. */
  constructor(
    private readonly maxEntries = 100_000,
    now: () => number = () => Date.now(),
  ) {
    this.clock = { now };
    this.seen = new LRUCache({ max: maxEntries, perf: this.clock, ttlResolution: 0 });
  }

  /**
   * Records `key` until `expiresAtMs`. 'replayed' when it is already recorded; 'full' when the cache holds
   * `maxEntries` live keys, in which case the assertion is refused too: failing closed rather than letting the LRU
   * rule forget a live key, which would reopen it for replay.
   */
  remember(key: string, expiresAtMs: number): 'new' | 'replayed' | 'full' {
    if (this.seen.has(key)) return 'replayed';
    if (this.seen.size >= this.maxEntries) {
      this.seen.purgeStale();
      if (this.seen.size >= this.maxEntries) return 'full';
    }
    // lru-cache keeps an entry while its age is at most `ttl`; the key is live while the clock is before its expiry.
    const ttl = expiresAtMs - this.clock.now() - 1;
    // A ttl of 0 would mean "never expires" to lru-cache; an assertion expiring now cannot be replayed anyway.
    if (ttl >= 1) this.seen.set(key, true, { ttl });
    return 'new';
  }

  get size(): number {
    return this.seen.size;
  }
}
