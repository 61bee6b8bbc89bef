import { randomUUID } from 'node:crypto';
import type { AuditEvent } from 'fhir/r4';
import { type TestKey, nowS, signToken, tempDir, testKey, writeJson } from '../auth/fixtures';
import { type SecureServer, startSecureServer } from './support';

/**
 * What an unauthenticated caller controls (the unverified `iss` of a client assertion or bearer token, its
 * descriptions, the URL of a refused request) reaches the audit trail only made well-formed, bounded and marked as
 * unverified, so no request can make `AuditEvent/$verify-chain` report a break.
 */
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const LOGIN = 'type=http://dicom.nema.org/resources/ontology/DCM|110114';
let server: SecureServer;
let clientKey: TestKey;
let tokenUrl: string;

beforeAll(async () => {
  clientKey = await testKey('ES384');
  const clients = writeJson(tempDir(), 'clients.json', {
    clients: [{ client_id: 'loader', jwks: { keys: [clientKey.publicJwk] }, scope: 'system/*.rs' }],
  });
  server = await startSecureServer({ SMART_CLIENTS_FILE: clients });
  tokenUrl = `${server.baseUrl}/auth/token`;
});
afterAll(() => server.close());

/** A client assertion claiming `iss`, signed by a key the server does not know. */
async function requestToken(iss: string): Promise<number> {
  const assertion = await signToken(await testKey('ES384'), { iss, sub: iss, aud: tokenUrl, exp: nowS() + 240, jti: randomUUID() });
  const res = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: assertion }),
  });
  await res.arrayBuffer();
  return res.status;
}

interface Report {
  intact: boolean;
  breaks: number | undefined;
  listed: Array<{ kind: string; id?: string }>;
}

async function verifyChain(): Promise<Report> {
  const res = await server.system.json('GET', 'AuditEvent/$verify-chain');
  expect(res.status).toBe(200);
  const params = res.body.parameter as Array<{
    name: string;
    valueBoolean?: boolean;
    valueInteger?: number;
    part?: Array<{ name: string; valueCode?: string; valueId?: string }>;
  }>;
  return {
    intact: params.find((p) => p.name === 'intact')?.valueBoolean as boolean,
    breaks: params.find((p) => p.name === 'breaks')?.valueInteger,
    listed: params
      .filter((p) => p.name === 'break')
      .map((p) => ({ kind: p.part!.find((x) => x.name === 'kind')!.valueCode!, id: p.part!.find((x) => x.name === 'id')?.valueId })),
  };
}

async function logins(): Promise<AuditEvent[]> {
  await verifyChain();
  const res = await server.system.json('GET', `AuditEvent?${LOGIN}&_count=1000`);
  return (res.body.entry ?? []).map((e: { resource: AuditEvent }) => e.resource);
}

describe('unverified token content in the audit trail', () => {
  it('keeps the chain intact when a client assertion claims an iss with a lone surrogate', async () => {
    const marker = randomUUID();
    expect(await requestToken(`\ud800x-${marker}`)).toBe(401);
    expect(await verifyChain()).toEqual({ intact: true, breaks: 0, listed: [] });
    const [event] = (await logins()).filter((e) => JSON.stringify(e).includes(marker));
    const agent = event.agent.find((a) => JSON.stringify(a).includes(marker))!;
    // Made well-formed (U+FFFD for the lone surrogate) and marked as a claim the server did not verify.
    expect(agent.who?.identifier).toEqual({ system: 'urn:fhirstone:unverified-client-id', value: `\ufffdx-${marker}` });
    expect(agent.who?.display).toMatch(/unverified/);
  });

  it('keeps the chain intact when a bearer token names an untrusted issuer with a lone surrogate', async () => {
    const token = await signToken(await testKey('ES384'), { iss: `\udc00\ud800-${randomUUID()}`, aud: server.baseUrl, exp: nowS() + 60 });
    // Refused either way; the status (401, or 500 while the challenge header cannot carry the iss) is src/auth's.
    expect((await server.as(token).json('GET', 'Patient')).status).toBeGreaterThanOrEqual(400);
    expect(await verifyChain()).toEqual({ intact: true, breaks: 0, listed: [] });
  });

  it('strips control characters from and bounds the length of an unverified client id', async () => {
    const marker = randomUUID();
    expect(await requestToken(`${marker}\u0000\u001b[31m\r\n${'x'.repeat(5000)}`)).toBe(401);
    const [event] = (await logins()).filter((e) => JSON.stringify(e).includes(marker));
    const claimed = event.agent.find((a) => JSON.stringify(a).includes(marker))!.who!.identifier!.value!;
    expect(claimed).not.toMatch(/[\u0000-\u001f\u007f]/);
    expect(claimed.length).toBeLessThanOrEqual(200);
    expect(JSON.stringify(event).length).toBeLessThan(4000);
  });

  it('still finds and counts a real tamper after 100 hostile requests', async () => {
    for (let i = 0; i < 100; i++) expect(await requestToken(`\ud800x-${i}`)).toBe(401);
    const [victim] = await logins();
    const collection = server.store.db.collection<{ _id: string; r: string }>('AuditEvent');
    const original = (await collection.findOne({ _id: victim.id as string }))!.r;
    await collection.updateOne({ _id: victim.id as string }, { $set: { r: original.replace('"outcome":"4"', '"outcome":"0"') } });
    try {
      expect(await verifyChain()).toEqual({ intact: false, breaks: 1, listed: [{ kind: 'modified', id: victim.id }] });
    } finally {
      await collection.updateOne({ _id: victim.id as string }, { $set: { r: original } });
    }
  });
});
