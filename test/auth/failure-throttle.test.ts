import { FailureThrottle, addressKey } from '../../src/auth/failure-throttle';
import { configFor } from './fixtures';

const limits = { windowSeconds: 60, addressFailures: 3, clientFailures: 2 };
const t0 = 1_000_000;

describe('throttling of failed authentications', () => {
  it('refuses an address after its limit of failures in the window, until the window ends', () => {
    const throttle = new FailureThrottle(limits);
    const attempt = { address: '203.0.113.5' };
    for (let i = 0; i < 3; i++) {
      expect(throttle.retryAfter(attempt, t0 + i)).toBeUndefined();
      throttle.failed(attempt, t0 + i);
    }
    expect(throttle.retryAfter(attempt, t0 + 10_000)).toBe(50);
    expect(throttle.retryAfter({ address: '203.0.113.6' }, t0 + 10_000)).toBeUndefined();
    expect(throttle.retryAfter(attempt, t0 + 60_000)).toBeUndefined();
  });

  it('refuses a client from an address after its limit there, not from elsewhere, and forgets once it succeeds', () => {
    const throttle = new FailureThrottle({ ...limits, addressFailures: 0 });
    const from = (address: string) => ({ address, client: 'c' });
    throttle.failed(from('198.51.100.1'), t0);
    throttle.succeeded(from('198.51.100.1'));
    throttle.failed(from('198.51.100.1'), t0);
    expect(throttle.retryAfter(from('198.51.100.1'), t0)).toBeUndefined();
    throttle.failed(from('198.51.100.1'), t0);
    expect(throttle.retryAfter(from('198.51.100.1'), t0)).toBe(60);
    // An attacker elsewhere sending bad assertions in the client's name cannot lock the real client out.
    expect(throttle.retryAfter(from('198.51.100.2'), t0)).toBeUndefined();
  });

  it('counts an IPv6 address by its /64, IPv4-mapped addresses as IPv4, and never loopback peers', () => {
    expect(addressKey('2001:db8:0:1::5')).toBe(addressKey('2001:DB8:0:1:aaaa:bbbb:cccc:dddd'));
    expect(addressKey('2001:db8:0:1::5')).not.toBe(addressKey('2001:db8:0:2::5'));
    expect(addressKey('::ffff:203.0.113.5')).toBe('203.0.113.5');
    for (const loopback of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) expect(addressKey(loopback)).toBeUndefined();
    const throttle = new FailureThrottle(limits);
    for (let i = 0; i < 10; i++) throttle.failed({ address: '::1' }, t0);
    expect(throttle.retryAfter({ address: '::1' }, t0)).toBeUndefined();
    expect(throttle.size).toBe(0);
  });

  it('is turned off per kind by a limit of 0', () => {
    const throttle = new FailureThrottle({ windowSeconds: 60, addressFailures: 0, clientFailures: 0 });
    for (let i = 0; i < 10; i++) throttle.failed({ address: '203.0.113.5', client: 'c' }, t0);
    expect(throttle.retryAfter({ address: '203.0.113.5', client: 'c' }, t0)).toBeUndefined();
    expect(throttle.size).toBe(0);
  });

  it('stays bounded in memory when an attacker rotates through addresses, dropping the stalest entries', () => {
    const throttle = new FailureThrottle(limits, 100);
    for (let i = 0; i < 10_000; i++) throttle.failed({ address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` }, t0);
    expect(throttle.size).toBe(100);
    // The most recent offenders are still counted.
    for (let i = 0; i < 2; i++) throttle.failed({ address: '10.0.39.15' }, t0);
    expect(throttle.retryAfter({ address: '10.0.39.15' }, t0)).toBe(60);
  });
});

describe('the throttle of one configuration', () => {
  it("is its own: failures counted by one server's configuration leave another server's alone", async () => {
    const env = { AUTH_THROTTLE_ADDRESS_FAILURES: '2', AUTH_THROTTLE_CLIENT_FAILURES: '0' };
    const [a, b] = [await configFor(env), await configFor(env)];
    const attempt = { address: '203.0.113.9' };
    for (let i = 0; i < 3; i++) a.state.throttle.failed(attempt);
    expect(a.state.throttle.retryAfter(attempt)).toBeGreaterThan(0);
    expect(b.state.throttle.retryAfter(attempt)).toBeUndefined();
  });
});
