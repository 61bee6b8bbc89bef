import { VerifiedTokens } from '../../src/auth/verified-tokens';
import { unrestrictedPolicy } from '../../src/auth/access-policy';

describe('cache of verified tokens', () => {
  const now = 1_000_000;

  it('answers for a token until it expires', () => {
    const cache = new VerifiedTokens();
    cache.set('t', { policy: unrestrictedPolicy }, now + 10_000, now);
    expect(cache.get('t', now + 9_999)?.policy).toBe(unrestrictedPolicy);
    expect(cache.get('t', now + 10_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('keeps an entry at most five minutes, whatever the token lifetime', () => {
    const cache = new VerifiedTokens();
    cache.set('t', { policy: unrestrictedPolicy }, now + 3_600_000, now);
    expect(cache.get('t', now + 299_999)).toBeDefined();
    expect(cache.get('t', now + 300_000)).toBeUndefined();
  });

  it('drops the oldest entry when full', () => {
    const cache = new VerifiedTokens(2);
    cache.set('a', { policy: unrestrictedPolicy }, now + 1000, now);
    cache.set('b', { policy: unrestrictedPolicy }, now + 1000, now);
    cache.set('c', { policy: unrestrictedPolicy }, now + 1000, now);
    expect(cache.get('a', now)).toBeUndefined();
    expect(cache.get('c', now)).toBeDefined();
  });

  it('matches only the exact token text', () => {
    const cache = new VerifiedTokens();
    cache.set('abc', { policy: unrestrictedPolicy }, now + 1000, now);
    expect(cache.get('abd', now)).toBeUndefined();
  });
});
