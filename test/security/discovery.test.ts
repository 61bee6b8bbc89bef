import { configFor, tempDir, testKey, writeJson } from '../auth/fixtures';
import { startBackendServer } from './backend-client';
import { ISSUER, type SecureServer, startSecureServer } from './support';

/**
 * `/.well-known/smart-configuration` never mixes two authorization servers: with registered clients it describes
 * the built-in one (its issuer, keys and token endpoint together); with only an external issuer it publishes what
 * is configured of that issuer (or read from its metadata: issuer-metadata.test.ts) and guesses nothing.
 */
type SmartConfiguration = Record<string, unknown>;

async function discover(server: Pick<SecureServer, 'api'>): Promise<SmartConfiguration> {
  const res = await server.api('.well-known/smart-configuration');
  expect(res.status).toBe(200);
  return (await res.json()) as SmartConfiguration;
}

async function clientsFile(): Promise<string> {
  const key = await testKey('ES384');
  return writeJson(tempDir(), 'clients.json', { clients: [{ client_id: 'bulk', jwks: { keys: [key.publicJwk] }, scope: 'system/*.rs' }] });
}

describe('SMART configuration with an external issuer and registered clients', () => {
  let server: SecureServer;
  beforeAll(async () => {
    server = await startSecureServer({ SMART_CLIENTS_FILE: await clientsFile() });
  });
  afterAll(() => server.close());

  it('describes the built-in authorization server consistently: its issuer, its keys and its token endpoint', async () => {
    const doc = await discover(server);
    expect(doc).toMatchObject({
      issuer: server.baseUrl,
      jwks_uri: `${server.baseUrl}/auth/jwks`,
      token_endpoint: `${server.baseUrl}/auth/token`,
      grant_types_supported: ['client_credentials'],
    });
    expect(Object.values(doc)).not.toContain(ISSUER);
    const jwks = await server.api('auth/jwks');
    expect(jwks.status).toBe(200);
  });

  it("advertises only the system/ scopes its token endpoint can grant, though the issuer's tokens may carry others", async () => {
    const doc = await discover(server);
    expect(doc.scopes_supported).toEqual(['system/*.rs', 'system/*.read']);
    expect(doc.capabilities).toEqual(expect.arrayContaining(['permission-patient', 'permission-user']));
    const metadata = await server.as(undefined).json('GET', 'metadata');
    expect(metadata.body.rest[0].security.description).toContain(ISSUER);
  });
});

describe('SMART configuration with only the built-in token endpoint', () => {
  it('advertises scopes it grants, each one granted when asked for, and no patient/ or user/ scope', async () => {
    const server = await startBackendServer();
    try {
      const doc = await discover(server);
      expect(doc.scopes_supported).toEqual(['system/*.rs', 'system/*.read']);
      expect(doc.capabilities).not.toContain('permission-patient');
      expect(doc.capabilities).not.toContain('permission-user');
      for (const scope of doc.scopes_supported as string[]) {
        const res = await server.requestToken(await server.validForm({ scope }));
        expect({ scope, status: res.status, granted: res.body.scope }).toEqual({ scope, status: 200, granted: scope });
      }
      const metadata = await server.json('GET', 'metadata');
      const description: string = metadata.body.rest[0].security.description;
      expect(description).toMatch(/system\/ scopes only/);
      expect(description).not.toMatch(/patient\/|user\//);
    } finally {
      await server.close();
    }
  });
});

describe('SMART configuration with only an external issuer', () => {
  it('publishes the issuer, its configured token endpoint and no endpoint it does not know', async () => {
    const server = await startSecureServer();
    try {
      const doc = await discover(server);
      expect(doc.issuer).toBe(ISSUER);
      expect(doc.token_endpoint).toBe(`${ISSUER}/protocol/openid-connect/token`);
      expect(doc).not.toHaveProperty('authorization_endpoint');
      expect(doc).not.toHaveProperty('grant_types_supported');
      expect(doc).not.toHaveProperty('token_endpoint_auth_methods_supported');
      // The test issuer's keys are a file: nothing a client could fetch.
      expect(doc).not.toHaveProperty('jwks_uri');
      // The issuer may grant any context; this server honours them all.
      expect(doc.scopes_supported).toEqual(expect.arrayContaining(['patient/*.rs', 'user/*.rs', 'system/*.rs']));
    } finally {
      await server.close();
    }
  });

  it("publishes the issuer's configured authorize and token endpoints, and the authorization_code grant", async () => {
    const server = await startSecureServer({
      SMART_AUTHORIZE_ENDPOINT: `${ISSUER}/protocol/openid-connect/auth`,
      SMART_TOKEN_ENDPOINT: `${ISSUER}/protocol/openid-connect/token`,
    });
    try {
      const doc = await discover(server);
      expect(doc).toMatchObject({
        issuer: ISSUER,
        authorization_endpoint: `${ISSUER}/protocol/openid-connect/auth`,
        token_endpoint: `${ISSUER}/protocol/openid-connect/token`,
        grant_types_supported: ['authorization_code'],
      });
      const metadata = await server.as(undefined).json('GET', 'metadata');
      const uris = JSON.stringify(metadata.body.rest[0].security.extension);
      expect(uris).toContain(`${ISSUER}/protocol/openid-connect/token`);
      expect(uris).toContain(`${ISSUER}/protocol/openid-connect/auth`);
    } finally {
      await server.close();
    }
  });

  it('refuses endpoints without an external issuer, and values that are not http(s) URLs', async () => {
    await expect(configFor({ SMART_TOKEN_ENDPOINT: 'https://idp.example.org/token' })).rejects.toThrow(/SMART_TOKEN_ENDPOINT.*SMART_ISSUER/);
    const external = { SMART_ISSUER: ISSUER, SMART_JWKS_URI: 'https://idp.example.org/certs' };
    await expect(configFor({ ...external, SMART_AUTHORIZE_ENDPOINT: 'not a url' })).rejects.toThrow(/SMART_AUTHORIZE_ENDPOINT/);
    await expect(configFor({ ...external, SMART_TOKEN_ENDPOINT: 'ftp://idp.example.org/token' })).rejects.toThrow(/SMART_TOKEN_ENDPOINT/);
  });
});
