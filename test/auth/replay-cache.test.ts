import { ReplayCache } from '../../src/auth/replay-cache';

describe('ReplayCache', () => {
  let now = 0;
  const clock = () => now;
  beforeEach(() => {
    now = 1_000_000;
  });

  it('reports a key seen again before it expires as replayed', () => {
    const cache = new ReplayCache(10, clock);
    expect(cache.remember('a', now + 60_000)).toBe('new');
    now += 59_999;
    expect(cache.remember('a', now + 60_000)).toBe('replayed');
  });

  it('accepts a key again once its expiry has passed', () => {
    const cache = new ReplayCache(10, clock);
    cache.remember('a', now + 60_000);
    now += 60_000;
    expect(cache.remember('a', now + 60_000)).toBe('new');
  });

  it('refuses new keys while full of live keys instead of forgetting the oldest', () => {
    const cache = new ReplayCache(2, clock);
    cache.remember('a', now + 60_000);
    cache.remember('b', now + 120_000);
    expect(cache.remember('c', now + 60_000)).toBe('full');
    expect(cache.remember('a', now + 60_000)).toBe('replayed');
  });

  it('makes room when the oldest keys have expired', () => {
    const cache = new ReplayCache(2, clock);
    cache.remember('a', now + 60_000);
    cache.remember('b', now + 120_000);
    now += 60_000;
    expect(cache.remember('c', now + 60_000)).toBe('new');
    expect(cache.remember('b', now + 60_000)).toBe('replayed');
    expect(cache.size).toBe(2);
  });
});
