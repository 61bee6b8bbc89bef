import { writeFileSync } from 'node:fs';
import { testKey } from '../auth/fixtures';
import { A, type SecureServer, expectOutcome, put, startSecureServer } from './support';

/**
 * An operator revokes a compromised key of the external issuer by removing it from the `file:` JWKS the server
 * reads (SMART_JWKS_URI): the change applies to the next request, without a restart, also for tokens the server
 * has already accepted (and cached) before.
 */
let server: SecureServer;
beforeAll(async () => {
  server = await startSecureServer();
  await put(server.system, { resourceType: 'Patient', id: A });
});
afterAll(() => server.close());

const readWith = (token: string) => server.as(token).json('GET', `Patient/${A}`);

describe('a key removed from the file: JWKS', () => {
  it('stops verifying tokens at the next request, including a token accepted before', async () => {
    const token = await server.sign({ scope: 'system/*.read' });
    expect((await readWith(token)).status).toBe(200);

    const successor = await testKey('ES384');
    writeFileSync(server.jwksFile, JSON.stringify({ keys: [successor.publicJwk] }));
    const res = await readWith(token);
    expectOutcome(res, 401, 'login');
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');

    writeFileSync(server.jwksFile, JSON.stringify({ keys: [server.issuerKey.publicJwk, successor.publicJwk] }));
    expect((await readWith(token)).status).toBe(200);
  });

  it('fails closed with 503 while the file cannot be read as a key set, and recovers when it is fixed', async () => {
    const token = await server.sign({ scope: 'system/*.read' });
    expect((await readWith(token)).status).toBe(200);

    writeFileSync(server.jwksFile, '{"keys": [');
    expectOutcome(await readWith(token), 503, 'transient');

    writeFileSync(server.jwksFile, JSON.stringify({ keys: [server.issuerKey.publicJwk] }));
    expect((await readWith(token)).status).toBe(200);
  });
});
