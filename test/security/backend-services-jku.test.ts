import { randomUUID } from 'node:crypto';
import type { AuditEvent } from 'fhir/r4';
import { SignJWT } from 'jose';
import { type JwksServer, type TestKey, nowS, startJwksServer, tempDir, testKey, writeJson } from '../auth/fixtures';
import { startTestServer, type TestServer } from '../helpers/server';
import { ASSERTION_TYPE } from './backend-client';

/**
 * SMART Backend Services: a client assertion whose `jku` header is not the JWKS URL the client registered is
 * refused (invalid_client, 401), whatever key set it points at; a client registered with inline keys has no such
 * URL, so any `jku` is refused. The keys an assertion is checked with are always the registered ones.
 */
let server: TestServer;
let tokenUrl: string;
let inlineKey: TestKey;
let remoteKey: TestKey;
let attackerKey: TestKey;
let registeredJwks: JwksServer;
let attackerJwks: JwksServer;

beforeAll(async () => {
  [inlineKey, remoteKey, attackerKey] = await Promise.all([testKey('ES384'), testKey('ES384'), testKey('ES384')]);
  registeredJwks = await startJwksServer([remoteKey.publicJwk]);
  attackerJwks = await startJwksServer([attackerKey.publicJwk]);
  const clients = writeJson(tempDir(), 'clients.json', {
    clients: [
      { client_id: 'inline', jwks: { keys: [inlineKey.publicJwk] }, scope: 'system/*.rs' },
      { client_id: 'audited', jwks: { keys: [inlineKey.publicJwk] }, scope: 'system/*.rs' },
      { client_id: 'remote', jwks_uri: registeredJwks.url, scope: 'system/*.rs' },
    ],
  });
  server = await startTestServer({ SMART_CLIENTS_FILE: clients });
  tokenUrl = `${server.baseUrl}/auth/token`;
});
afterAll(async () => {
  await server.close();
  await registeredJwks.close();
  await attackerJwks.close();
});

/** A client assertion of `clientId` signed with `key`, with `jku` in its header when given. */
function assertion(key: TestKey, clientId: string, jku?: string): Promise<string> {
  return new SignJWT({ iss: clientId, sub: clientId, aud: tokenUrl, exp: nowS() + 240, jti: randomUUID() })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...(jku === undefined ? {} : { jku }) })
    .sign(key.privateKey);
}

async function requestToken(clientAssertion: string) {
  const res = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: clientAssertion, scope: 'system/*.rs' }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('a client registered with a JWKS URL', () => {
  it('is issued a token for an assertion whose jku is its registered JWKS URL, or that names none', async () => {
    expect((await requestToken(await assertion(remoteKey, 'remote', registeredJwks.url))).status).toBe(200);
    expect((await requestToken(await assertion(remoteKey, 'remote'))).status).toBe(200);
  });

  it("refuses an assertion signed with an attacker's key whose jku points at the attacker's key set, never fetching it", async () => {
    const res = await requestToken(await assertion(attackerKey, 'remote', attackerJwks.url));
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: 'invalid_client' });
    expect(res.body.error_description).toMatch(/jku/);
    expect(res.body).not.toHaveProperty('access_token');
    expect(attackerJwks.fetches).toBe(0);
  });

  it('refuses an assertion naming another jku even when its signature verifies with the registered keys', async () => {
    const res = await requestToken(await assertion(remoteKey, 'remote', attackerJwks.url));
    expect({ status: res.status, error: res.body.error }).toEqual({ status: 401, error: 'invalid_client' });
  });
});

describe('a client registered with inline keys', () => {
  it('refuses any jku, even with an assertion signed with the registered key', async () => {
    expect((await requestToken(await assertion(inlineKey, 'inline'))).status).toBe(200);
    for (const jku of [attackerJwks.url, registeredJwks.url]) {
      const res = await requestToken(await assertion(inlineKey, 'inline', jku));
      expect({ jku, status: res.status, error: res.body.error }).toEqual({ jku, status: 401, error: 'invalid_client' });
    }
    expect(attackerJwks.fetches).toBe(0);
  });
});

describe('audit', () => {
  it('records a refused jku as a failed Login naming the client and the reason', async () => {
    expect((await requestToken(await assertion(inlineKey, 'audited', attackerJwks.url))).status).toBe(401);
    const token = (await requestToken(await assertion(inlineKey, 'inline'))).body.access_token as string;
    const headers = { authorization: `Bearer ${token}` };
    expect((await server.json('GET', 'AuditEvent/$verify-chain', undefined, headers)).status).toBe(200);
    const res = await server.json('GET', 'AuditEvent?type=http://dicom.nema.org/resources/ontology/DCM|110114&outcome=4&_count=1000', undefined, headers);
    const refused = (res.body.entry ?? [])
      .map((e: { resource: AuditEvent }) => e.resource)
      .filter((e: AuditEvent) => e.agent.some((a) => a.who?.identifier?.value === 'audited'));
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ outcome: '4', subtype: [{ code: '110122' }] });
    expect(refused[0].outcomeDesc).toMatch(/HTTP 401.*jku/);
  });
});
