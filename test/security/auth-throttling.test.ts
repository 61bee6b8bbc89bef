import { nowS, signToken, testKey } from '../auth/fixtures';
import { ASSERTION_TYPE, type BackendServer, CLIENT_ID, startBackendServer } from './backend-client';

/**
 * Failed client authentications at the token endpoint are throttled per registered client and address (a client id
 * is no secret: counted alone, anyone could lock a client out): past AUTH_THROTTLE_CLIENT_FAILURES in the window,
 * even a valid assertion from that address gets 429 without being verified.
 */
let server: BackendServer;
beforeAll(async () => {
  server = await startBackendServer({ AUTH_THROTTLE_CLIENT_FAILURES: '3' });
});
afterAll(() => server.close());

async function forgedAssertionForm() {
  const forger = await testKey('ES384', server.clientKey.kid);
  const assertion = await signToken(forger, { iss: CLIENT_ID, sub: CLIENT_ID, aud: server.tokenUrl, exp: nowS() + 240, jti: `forged-${Math.random()}` });
  return { grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: assertion, scope: 'system/*.rs' };
}

describe('throttling at the token endpoint', () => {
  it('refuses a registered client with 429, Retry-After and an OAuth error after its failures, even with a valid assertion', async () => {
    expect((await server.requestToken(await server.validForm())).status).toBe(200);
    for (let i = 0; i < 3; i++) {
      const res = await server.requestToken(await forgedAssertionForm());
      expect({ status: res.status, error: res.body.error }).toEqual({ status: 401, error: 'invalid_client' });
    }
    const res = await server.requestToken(await server.validForm());
    expect(res.status).toBe(429);
    expect(res.body).toEqual({ error: 'temporarily_unavailable', error_description: expect.stringMatching(/too many failed/) });
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('does not count unregistered client ids per client, nor loopback peers per address', async () => {
    for (let i = 0; i < 30; i++) {
      const form = { ...(await forgedAssertionForm()), client_id: `nobody-${i}` };
      expect((await server.requestToken(form)).status).toBe(401);
    }
    const bearer = await Promise.all(Array.from({ length: 30 }, () => server.json('GET', 'Patient', undefined, { authorization: 'Bearer x.y.z' })));
    expect(bearer.map((r) => r.status)).toEqual(Array(30).fill(401));
  });
});
