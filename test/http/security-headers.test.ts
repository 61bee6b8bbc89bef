import { startTestServer, type TestServer } from '../helpers/server';
import { type SecureServer, startSecureServer } from '../security/support';

/**
 * Headers on every answer: no caching of health data, no MIME sniffing, nothing framed or loaded from a response;
 * CORS for browser SMART apps once every request needs a token, and never in protected mode (any web page the user
 * opens could otherwise read the loopback server).
 */
const APP = 'https://app.example.org';

function expectSecurityHeaders(res: Response): void {
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'");
  expect(res.headers.get('x-powered-by')).toBeNull();
}

function preflight(base: string, origin: string): Promise<Response> {
  return fetch(`${base}/Patient`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
  });
}

describe('in protected mode (no authorization configured)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('sends no-store, nosniff and a closed CSP on reads, errors and health checks', async () => {
    expectSecurityHeaders(await server.api('metadata'));
    expectSecurityHeaders(await server.api('Patient/missing'));
    expectSecurityHeaders(await fetch(`${server.url}/healthz`));
  });

  it('refuses to start with CORS_ORIGINS set, rather than open the unauthenticated server to web pages', async () => {
    const outcome = await startTestServer({ CORS_ORIGINS: '*' }).then(
      async (started) => (await started.close(), 'started'),
      (err: Error) => err.message,
    );
    expect(outcome).toMatch(/CORS_ORIGINS is set but no SMART authorization/);
  });

  it('admits no browser origin: no CORS headers, and a preflight is not granted', async () => {
    const res = await server.api('metadata', { headers: { origin: APP } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const pre = await preflight(server.baseUrl, APP);
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    expect(pre.status).toBeGreaterThanOrEqual(400);
    expect((await server.json('GET', 'metadata')).body.rest[0].security.cors).toBe(false);
  });
});

describe('with SMART authorization configured', () => {
  let server: SecureServer;
  beforeAll(async () => {
    server = await startSecureServer();
  });
  afterAll(() => server.close());

  it('answers a preflight from any origin, allowing the methods and the headers a SMART app sends', async () => {
    const res = await preflight(server.baseUrl, APP);
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')).toBe('authorization,content-type');
  });

  it('exposes the headers FHIR clients read, also on a 401', async () => {
    const res = await server.api('Patient', { headers: { origin: APP } });
    expect(res.status).toBe(401);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-expose-headers')).toContain('Location');
    expect(res.headers.get('access-control-expose-headers')).toContain('WWW-Authenticate');
    expectSecurityHeaders(res);
    expect((await server.json('GET', 'metadata')).body.rest[0].security.cors).toBe(true);
  });
});

describe('with SMART authorization and CORS_ORIGINS=none', () => {
  let server: SecureServer;
  beforeAll(async () => {
    server = await startSecureServer({ CORS_ORIGINS: 'none' });
  });
  afterAll(() => server.close());

  it('sends no CORS headers and says cors false in the CapabilityStatement', async () => {
    expect((await server.api('metadata', { headers: { origin: APP } })).headers.get('access-control-allow-origin')).toBeNull();
    expect((await server.json('GET', 'metadata')).body.rest[0].security.cors).toBe(false);
  });
});

describe('with CORS_ORIGINS listing the origins', () => {
  let server: SecureServer;
  beforeAll(async () => {
    server = await startSecureServer({ CORS_ORIGINS: APP });
  });
  afterAll(() => server.close());

  it('admits a listed origin and no other', async () => {
    const own = await preflight(server.baseUrl, APP);
    expect(own.headers.get('access-control-allow-origin')).toBe(APP);
    expect(own.headers.get('vary')).toContain('Origin');
    const other = await server.api('metadata', { headers: { origin: 'https://evil.example.org' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
