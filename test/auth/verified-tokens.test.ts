import { VerifiedTokens } from '../../src/auth/verified-tokens';
import { unrestrictedPolicy } from '../../src/auth/access-policy';

describe('cache of verified tokens', () => {
  /** One clock for the wall time a token's exp is compared with and for the cache's own ageing. */
  const clock = { t: 1_000_000, now: () => clock.t };
  const cache = (max?: number) => new VerifiedTokens({ max, now: clock.now });
  const entry = { policy: unrestrictedPolicy };
  const at = (t: number) => (clock.t = t);
  beforeEach(() => at(1_000_000));

  it('answers for a token until it expires', () => {
    const c = cache();
    c.set('t', entry, 1_010_000);
    at(1_010_000);
    expect(c.get('t')?.policy).toBe(unrestrictedPolicy);
    at(1_010_001);
    expect(c.get('t')).toBeUndefined();
    expect(c.size).toBe(0);
  });

  it('keeps an entry at most five minutes, whatever the token lifetime', () => {
    const c = cache();
    c.set('t', entry, 1_000_000 + 3_600_000);
    at(1_000_000 + 300_000);
    expect(c.get('t')).toBeDefined();
    at(1_000_000 + 300_001);
    expect(c.get('t')).toBeUndefined();
  });

  it('does not keep a token that expires now (a ttl of 0 would keep it for ever)', () => {
    const c = cache();
    c.set('t', entry, clock.now());
    expect(c.get('t')).toBeUndefined();
  });

  it('drops the least recently used entry when full, not the oldest one in use', () => {
    const c = cache(2);
    c.set('a', entry, 1_001_000);
    c.set('b', entry, 1_001_000);
    expect(c.get('a')).toBeDefined();
    c.set('c', entry, 1_001_000);
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBeDefined();
    expect(c.get('c')).toBeDefined();
  });

  it('matches only the exact token text', () => {
    const c = cache();
    c.set('abc', entry, 1_001_000);
    expect(c.get('abd')).toBeUndefined();
  });
});
