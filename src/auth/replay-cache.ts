import { LRUCache } from 'lru-cache';

/** Where client-assertion ids are remembered until their assertion expires. */
export interface ReplayGuard {
  /** 'replayed' when `key` is recorded and live; 'full' when no more can be held (the assertion is refused too). */
  remember(key: string, expiresAtMs: number): Promise<'new' | 'replayed' | 'full'> | 'new' | 'replayed' | 'full';
}

/**
 * Remembers client-assertion `jti`s until their assertion expires, so a captured assertion cannot be replayed.
 *
 * In memory and per process: a server connected to a store uses StoreReplayCache instead (store-replay-cache.ts),
 * which every instance sharing the store consults; this one serves an AuthConfig made without a store.
 */
export class ReplayCache implements ReplayGuard {
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
