import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { configFor, tempDir, testKey, writeJson } from '../auth/fixtures';
import { startTestServer } from '../helpers/server';

/**
 * An external issuer configured without its token endpoint (SMART_TOKEN_ENDPOINT) has it read from its metadata
 * at start-up, `{issuer}/.well-known/smart-configuration` first, then `{issuer}/.well-known/openid-configuration`;
 * when neither gives one the server refuses to start, rather than publish a SMART configuration without the
 * token_endpoint it requires. The issuer here is a real HTTP server on loopback.
 */
interface Issuer {
  issuer: string;
  /** Paths asked for, in order. */
  requests: string[];
  close(): Promise<void>;
}

const REALM = '/realms/ehr';

/** An issuer at `http://127.0.0.1:<port>/realms/ehr` answering `documents` (by well-known name) and 404 otherwise. */
async function startIssuer(documents: (issuer: string) => Record<string, unknown>): Promise<Issuer> {
  const requests: string[] = [];
  let issuer = '';
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const name = (req.url ?? '').replace(`${REALM}/.well-known/`, '');
    const doc = documents(issuer)[name];
    res.statusCode = doc === undefined ? 404 : 200;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(doc ?? { error: 'not found' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}${REALM}`;
  return { issuer, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const endpoints = (issuer: string) => ({
  issuer,
  authorization_endpoint: `${issuer}/protocol/openid-connect/auth`,
  token_endpoint: `${issuer}/protocol/openid-connect/token`,
});

async function issuerEnv(issuer: string, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const key = await testKey('ES384');
  const jwks = writeJson(tempDir(), 'jwks.json', { keys: [key.publicJwk] });
  return { SMART_ISSUER: issuer, SMART_JWKS_URI: pathToFileURL(jwks).href, ...extra };
}

describe('an external issuer configured without its endpoints', () => {
  it("publishes the endpoints of the issuer's SMART configuration in discovery and the CapabilityStatement", async () => {
    const idp = await startIssuer((issuer) => ({ 'smart-configuration': endpoints(issuer) }));
    const server = await startTestServer(await issuerEnv(idp.issuer));
    try {
      const res = await server.api('.well-known/smart-configuration');
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ ...endpoints(idp.issuer), grant_types_supported: ['authorization_code'] });
      const security = (await server.json('GET', 'metadata')).body.rest[0].security;
      expect(security.extension[0].extension).toEqual([
        { url: 'authorize', valueUri: `${idp.issuer}/protocol/openid-connect/auth` },
        { url: 'token', valueUri: `${idp.issuer}/protocol/openid-connect/token` },
      ]);
      expect(idp.requests).toEqual([`${REALM}/.well-known/smart-configuration`]);
    } finally {
      await server.close();
      await idp.close();
    }
  });

  it('falls back to the OpenID Connect discovery document', async () => {
    const idp = await startIssuer((issuer) => ({ 'openid-configuration': endpoints(issuer) }));
    const server = await startTestServer(await issuerEnv(idp.issuer));
    try {
      const doc = (await (await server.api('.well-known/smart-configuration')).json()) as Record<string, unknown>;
      expect(doc.token_endpoint).toBe(`${idp.issuer}/protocol/openid-connect/token`);
      expect(idp.requests).toEqual([`${REALM}/.well-known/smart-configuration`, `${REALM}/.well-known/openid-configuration`]);
    } finally {
      await server.close();
      await idp.close();
    }
  });

  it('refuses to start when the issuer publishes neither document, naming both URLs and the setting', async () => {
    const idp = await startIssuer(() => ({}));
    try {
      const start = startTestServer(await issuerEnv(idp.issuer));
      await expect(start).rejects.toThrow(/SMART_TOKEN_ENDPOINT/);
      await expect(start).rejects.toThrow(new RegExp(`${idp.issuer}/\\.well-known/smart-configuration: HTTP 404.*openid-configuration: HTTP 404`));
    } finally {
      await idp.close();
    }
  });

  it.each([
    ['has no token_endpoint', (issuer: string) => ({ issuer, authorization_endpoint: `${issuer}/auth` }), /no token_endpoint/],
    ['names another issuer', () => ({ ...endpoints('https://other.example/realms/x') }), /another issuer/],
    ['gives a token_endpoint that is not an http(s) URL', (issuer: string) => ({ issuer, token_endpoint: 'urn:not-a-place' }), /token_endpoint is not an http\(s\) URL/],
  ])('refuses an issuer whose metadata %s', async (_what, doc, message) => {
    const idp = await startIssuer((issuer) => ({ 'smart-configuration': doc(issuer), 'openid-configuration': doc(issuer) }));
    try {
      await expect(configFor(await issuerEnv(idp.issuer))).rejects.toThrow(message);
    } finally {
      await idp.close();
    }
  });

  it('refuses an issuer that cannot be reached, and one whose metadata would come over plain http from another host', async () => {
    const idp = await startIssuer(() => ({}));
    await idp.close();
    await expect(configFor(await issuerEnv(idp.issuer))).rejects.toThrow(/cannot be read from its metadata.*smart-configuration: fetch failed/);
    await expect(configFor(await issuerEnv('http://idp.example.org/realms/ehr'))).rejects.toThrow(/SMART_ISSUER.*https/);
  });

  it('completes an authorize endpoint configured alone with the token endpoint of the metadata, keeping the configured one', async () => {
    const idp = await startIssuer((issuer) => ({ 'smart-configuration': endpoints(issuer) }));
    try {
      const cfg = await configFor(await issuerEnv(idp.issuer, { SMART_AUTHORIZE_ENDPOINT: 'https://login.example.org/authorize' }));
      expect(cfg.externalEndpoints).toEqual({ authorize: 'https://login.example.org/authorize', token: `${idp.issuer}/protocol/openid-connect/token` });
    } finally {
      await idp.close();
    }
  });
});

describe('no metadata is fetched', () => {
  it('when the token endpoint is configured', async () => {
    const idp = await startIssuer((issuer) => ({ 'smart-configuration': endpoints(issuer) }));
    try {
      const cfg = await configFor(await issuerEnv(idp.issuer, { SMART_TOKEN_ENDPOINT: 'https://login.example.org/token' }));
      expect(cfg.externalEndpoints).toEqual({ authorize: undefined, token: 'https://login.example.org/token' });
      expect(idp.requests).toEqual([]);
    } finally {
      await idp.close();
    }
  });

  it('when clients are registered: discovery describes the built-in authorization server then', async () => {
    const idp = await startIssuer((issuer) => ({ 'smart-configuration': endpoints(issuer) }));
    const key = await testKey('ES384');
    const clients = writeJson(tempDir(), 'clients.json', { clients: [{ client_id: 'bulk', jwks: { keys: [key.publicJwk] }, scope: 'system/*.rs' }] });
    const server = await startTestServer(await issuerEnv(idp.issuer, { SMART_CLIENTS_FILE: clients }));
    try {
      const doc = (await (await server.api('.well-known/smart-configuration')).json()) as Record<string, unknown>;
      expect(doc.token_endpoint).toBe(`${server.baseUrl}/auth/token`);
      expect(idp.requests).toEqual([]);
    } finally {
      await server.close();
      await idp.close();
    }
  });
});
