import { randomUUID } from 'node:crypto';
import { SignJWT, decodeJwt } from 'jose';
import { type TestKey, nowS, signToken, tempDir, testKey, writeJson } from '../auth/fixtures';
import { startTestServer, type TestServer } from '../helpers/server';
import { A, expectOutcome, put } from './support';

/**
 * SMART Backend Services against the built-in authorization server (SMART_CLIENTS_FILE only): discovery, the
 * client_credentials grant with private_key_jwt assertions, and the access tokens it issues, all over HTTP.
 */
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
let server: TestServer;
let es: TestKey;
let rs: TestKey;
let tokenUrl: string;

beforeAll(async () => {
  es = await testKey('ES384');
  rs = await testKey('RS384');
  const clients = writeJson(tempDir(), 'clients.json', {
    clients: [
      { client_id: 'loader', jwks: { keys: [es.publicJwk] }, scope: 'system/*.cruds' },
      { client_id: 'reporting', jwks: { keys: [rs.publicJwk] }, scope: ['system/Patient.rs', 'system/Condition.r'] },
    ],
  });
  server = await startTestServer({ SMART_CLIENTS_FILE: clients });
  tokenUrl = `${server.baseUrl}/auth/token`;
  const headers = withToken(await accessToken(es, 'loader', 'system/*.cruds'));
  await put({ json: (m, p, b) => server.json(m, p, b, headers) }, { resourceType: 'Patient', id: A });
});
afterAll(() => server.close());

const assertion = (key: TestKey, clientId: string, claims: Record<string, unknown> = {}) =>
  signToken(key, { iss: clientId, sub: clientId, aud: tokenUrl, exp: nowS() + 240, jti: randomUUID(), ...claims });

async function requestToken(clientAssertion: string, scope = 'system/*.rs', extra: Record<string, string> = {}) {
  const res = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: clientAssertion, scope, ...extra }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
}

async function accessToken(key: TestKey, clientId: string, scope: string): Promise<string> {
  const res = await requestToken(await assertion(key, clientId), scope);
  expect(res.status).toBe(200);
  return res.body.access_token as string;
}

const withToken = (token: string) => ({ authorization: `Bearer ${token}` });

describe('discovery', () => {
  it('publishes the SMART configuration without a token', async () => {
    const res = await fetch(`${server.baseUrl}/.well-known/smart-configuration`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Record<string, any>;
    expect(doc).toMatchObject({
      issuer: server.baseUrl,
      token_endpoint: tokenUrl,
      jwks_uri: `${server.baseUrl}/auth/jwks`,
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      grant_types_supported: ['client_credentials'],
    });
    expect(doc.token_endpoint_auth_signing_alg_values_supported).toEqual(expect.arrayContaining(['RS384', 'ES384']));
    expect(doc.capabilities).toEqual(expect.arrayContaining(['client-confidential-asymmetric', 'permission-v2']));
    expect(doc.scopes_supported).toEqual(expect.arrayContaining(['system/*.rs']));
  });

  it('publishes the server signing key without private members', async () => {
    const jwks = (await (await fetch(`${server.baseUrl}/auth/jwks`)).json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys).toHaveLength(1);
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(jwks.keys[0]).not.toHaveProperty(member);
  });

  it('names the token endpoint in the CapabilityStatement security section', async () => {
    const token = await accessToken(es, 'loader', 'system/*.rs');
    const res = await server.json('GET', 'metadata', undefined, withToken(token));
    const security = res.body.rest[0].security;
    expect(security.service[0].coding[0].code).toBe('SMART-on-FHIR');
    expect(JSON.stringify(security.extension)).toContain(tokenUrl);
  });
});

describe('client_credentials with a private_key_jwt assertion', () => {
  it('issues an ES384 client a short-lived bearer token that the FHIR API accepts', async () => {
    const res = await requestToken(await assertion(es, 'loader'), 'system/*.cruds');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toMatchObject({ token_type: 'bearer', scope: 'system/*.cruds' });
    expect(res.body.expires_in).toBeLessThanOrEqual(300);
    const headers = withToken(res.body.access_token);
    expect((await server.json('GET', `Patient/${A}`, undefined, headers)).status).toBe(200);
    const created = await server.json('POST', 'Condition', { resourceType: 'Condition', subject: { reference: `Patient/${A}` } }, headers);
    expect(created.status).toBe(201);
  });

  it('issues an RS384 client a token it can read with', async () => {
    const token = await accessToken(rs, 'reporting', 'system/Patient.rs');
    expect((await server.json('GET', 'Patient', undefined, withToken(token))).status).toBe(200);
  });

  it('refuses a replayed assertion (same jti) with invalid_client', async () => {
    const once = await assertion(es, 'loader');
    expect((await requestToken(once)).status).toBe(200);
    const again = await requestToken(once);
    expect(again.status).toBe(401);
    expect(again.body).toMatchObject({ error: 'invalid_client' });
    expect(again.body).not.toHaveProperty('access_token');
  });

  it('refuses an expired assertion', async () => {
    const res = await requestToken(await assertion(es, 'loader', { exp: nowS() - 600, iat: nowS() - 900 }));
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: 'invalid_client' });
    expect(res.body.error_description).toMatch(/expired/);
  });

  it('refuses an assertion living longer than five minutes', async () => {
    const res = await requestToken(await assertion(es, 'loader', { exp: nowS() + 3600 }));
    expect(res.body).toMatchObject({ error: 'invalid_client' });
  });

  it('refuses an unregistered client, even with a well-formed assertion', async () => {
    const res = await requestToken(await assertion(await testKey('ES384'), 'intruder'));
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: 'invalid_client' });
  });

  it('refuses a registered client id asserted with another client key', async () => {
    const res = await requestToken(await assertion(rs, 'loader'));
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: 'invalid_client' });
  });

  it('refuses an assertion addressed to another token endpoint', async () => {
    const res = await requestToken(await assertion(es, 'loader', { aud: 'https://other.example/token' }));
    expect(res.body).toMatchObject({ error: 'invalid_client' });
  });

  it('refuses an HS256 assertion keyed with the client public key', async () => {
    const forged = await new SignJWT({ iss: 'loader', sub: 'loader', aud: tokenUrl, exp: nowS() + 60, jti: randomUUID() })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(JSON.stringify(es.publicJwk)));
    expect((await requestToken(forged)).body).toMatchObject({ error: 'invalid_client' });
  });

  it('refuses other grant types', async () => {
    const res = await requestToken(await assertion(es, 'loader'), 'system/*.rs', { grant_type: 'password' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'unsupported_grant_type' });
  });
});

describe('scopes granted to a backend client', () => {
  it('grants only the intersection of what is asked and what the client is registered for', async () => {
    const res = await requestToken(await assertion(rs, 'reporting'), 'system/*.cruds system/Encounter.rs');
    expect(res.status).toBe(200);
    expect(res.body.scope.split(' ').sort()).toEqual(['system/Condition.r', 'system/Patient.rs']);
    expect(decodeJwt(res.body.access_token).scope).toBe(res.body.scope);
    const headers = withToken(res.body.access_token);
    expect((await server.json('GET', `Patient/${A}`, undefined, headers)).status).toBe(200);
    expectOutcome(await server.json('POST', 'Patient', { resourceType: 'Patient' }, headers), 403, 'forbidden');
    expectOutcome(await server.json('GET', 'Encounter', undefined, headers), 403, 'forbidden');
    expectOutcome(await server.json('GET', 'Condition', undefined, headers), 403, 'forbidden');
  });

  it('refuses a request none of whose scopes the client may have (invalid_scope)', async () => {
    const res = await requestToken(await assertion(rs, 'reporting'), 'system/Encounter.rs patient/*.read');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_scope' });
  });

  it('never grants patient/ or user/ scopes to a backend client', async () => {
    const res = await requestToken(await assertion(es, 'loader'), 'patient/*.read user/*.read system/Patient.r');
    expect(res.body.scope).toBe('system/Patient.r');
  });
});

describe('audit of the token endpoint', () => {
  it('records issued and refused tokens as Login events naming the client, with outcomes 0 and 4', async () => {
    const marker = `client-${randomUUID()}`;
    await requestToken(await assertion(await testKey('ES384'), marker));
    const headers = withToken(await accessToken(es, 'loader', 'system/*.rs'));
    expect((await server.json('GET', 'AuditEvent/$verify-chain', undefined, headers)).status).toBe(200);
    const res = await server.json('GET', 'AuditEvent?type=http://dicom.nema.org/resources/ontology/DCM|110114&_count=1000', undefined, headers);
    const logins = (res.body.entry ?? []).map((e: { resource: any }) => e.resource);
    const refused = logins.filter((e: any) => e.agent.some((a: any) => a.who?.identifier?.value === marker));
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ outcome: '4', subtype: [{ code: '110122' }] });
    expect(refused[0].outcomeDesc).toMatch(/HTTP 401.*not registered/);
    const issued = logins.filter((e: any) => e.outcome === '0' && e.agent.some((a: any) => a.who?.identifier?.value === 'loader'));
    expect(issued.length).toBeGreaterThan(0);
  });
});
