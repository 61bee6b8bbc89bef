import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import type { JWTPayload } from 'jose';
import { startTestServer, type TestServer } from '../helpers/server';
import { type TestKey, externalIssuer, nowS, signToken, tempDir, testKey, writeJson } from '../auth/fixtures';

/** What `SecureServer.as(token).json` answers. */
export type JsonResponse = { status: number; headers: Headers; body: any };

export const ISSUER = 'https://issuer.test/realms/ehr';

export interface Caller {
  json(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<JsonResponse>;
}

/** A running server trusting a test issuer whose signing key the test holds. */
export interface SecureServer extends TestServer {
  issuerKey: TestKey;
  /** The issuer's JWKS file the server reads its keys from. */
  jwksFile: string;
  /** Signs a token of the test issuer for this server: `claims` override iss, aud, exp, iat and jti. */
  sign(claims?: JWTPayload, header?: { kid?: string; alg?: string; typ?: string }): Promise<string>;
  /** A client holding `token` (no Authorization header at all when undefined). */
  as(token: string | undefined): Caller;
  /** A caller with `system/*.*`: sets up data, reads the audit trail. */
  system: Caller;
  /** A caller with `scope` bound to `patientId` through the `patient` launch claim. */
  patient(patientId: unknown, scope?: string): Promise<Caller>;
  /** A caller with exactly these scopes and no launch context. */
  scoped(scope: string): Promise<Caller>;
}

/**
 * Starts the real server (one per test file) trusting a freshly generated ES384 issuer key published as a file:
 * JWKS, with the issuer's token endpoint configured (its metadata is not fetched), plus whatever `env` adds (a
 * clients file for the built-in token endpoint, for instance).
 */
export async function startSecureServer(env: Record<string, string> = {}, override?: Parameters<typeof startTestServer>[1]): Promise<SecureServer> {
  const issuerKey = await testKey('ES384');
  const jwks = writeJson(tempDir(), 'jwks.json', { keys: [issuerKey.publicJwk] });
  const server = await startTestServer({ ...externalIssuer(pathToFileURL(jwks).href, ISSUER), ...env }, override);

  const sign: SecureServer['sign'] = (claims = {}, header = {}) =>
    signToken(issuerKey, { iss: ISSUER, aud: server.baseUrl, iat: nowS(), exp: nowS() + 300, jti: randomUUID(), client_id: 'test-app', ...claims }, header);
  const as = (token: string | undefined): Caller => ({
    json: (method, path, body, headers = {}) => server.json(method, path, body, token === undefined ? headers : { authorization: `Bearer ${token}`, ...headers }),
  });
  const scoped = async (scope: string) => as(await sign({ scope }));
  const patient = async (patientId: unknown, scope = 'patient/*.read') => as(await sign({ scope, patient: patientId }));
  const system = await scoped('system/*.*');
  return Object.assign(server, { issuerKey, jwksFile: jwks, sign, as, system, patient, scoped });
}

/** Stores `resource` under its own id with the system caller; fails the test when that is refused. */
export async function put(caller: Caller, resource: { resourceType: string; id: string; [k: string]: unknown }) {
  const res = await caller.json('PUT', `${resource.resourceType}/${resource.id}`, resource);
  if (res.status !== 200 && res.status !== 201) throw new Error(`PUT ${resource.resourceType}/${resource.id}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as Record<string, unknown>;
}

/** `Type/id` of every entry of a Bundle (search, history, batch/transaction responses with resources). */
export function refsOf(bundle: { entry?: Array<{ resource?: { resourceType: string; id?: string } }> }): string[] {
  return (bundle.entry ?? []).flatMap((e) => (e.resource && e.resource.resourceType !== 'OperationOutcome' ? [`${e.resource.resourceType}/${e.resource.id}`] : []));
}

/** An OperationOutcome answer with `status`, at least one error issue, and no internals leaked. */
export function expectOutcome(res: JsonResponse, status: number, code?: string): void {
  expect({ status: res.status, resourceType: res.body?.resourceType }).toEqual({ status, resourceType: 'OperationOutcome' });
  const issues = res.body.issue as Array<{ severity: string; code: string }>;
  expect(issues.some((i) => i.severity === 'error' || i.severity === 'fatal')).toBe(true);
  if (code) expect(issues.map((i) => i.code)).toContain(code);
  expect(JSON.stringify(res.body)).not.toMatch(/\n\s+at |\.ts:\d+|node_modules/);
}

/**
 * Two patients with cross-linked data, stored by the system caller:
 * - A (`pat-a`, "Alpha Adams") with Encounter enc-a, Condition cond-a1 (problem-list-item, code a-code, encounter
 *   enc-b: a cross-link into B's record) and cond-a2 (encounter-diagnosis);
 * - B (`pat-b`, "Bravo Brown") with Encounter enc-b and Condition cond-b1 (problem-list-item, code b-code),
 *   updated once so it has two versions.
 */
export const A = 'pat-a';
export const B = 'pat-b';
export const B_NAME = 'Bravo';
export const B_CODE = 'b-code';

const CATEGORY = 'http://terminology.hl7.org/CodeSystem/condition-category';
const condition = (id: string, patient: string, code: string, category: string, encounter?: string) => ({
  resourceType: 'Condition',
  id,
  subject: { reference: `Patient/${patient}` },
  category: [{ coding: [{ system: CATEGORY, code: category }] }],
  code: { coding: [{ system: 'urn:test:codes', code }] },
  ...(encounter ? { encounter: { reference: `Encounter/${encounter}` } } : {}),
});
const encounter = (id: string, patient: string) => ({
  resourceType: 'Encounter',
  id,
  status: 'finished',
  class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
  subject: { reference: `Patient/${patient}` },
});

/** An Observation of A whose focus is `Condition/<condition>`: a write that makes the server check that reference. */
export const observationFocusing = (condition: string, text = 'written by a test') => ({
  resourceType: 'Observation',
  status: 'final',
  code: { text },
  subject: { reference: `Patient/${A}` },
  focus: [{ reference: `Condition/${condition}` }],
});

/** A DocumentReference of `patient` whose attachment is `Binary/bin-<id>`. */
export const docRef = (id: string, patient: string) => ({
  resourceType: 'DocumentReference',
  id,
  status: 'current',
  subject: { reference: `Patient/${patient}` },
  content: [{ attachment: { contentType: 'text/plain', url: `Binary/bin-${id}` } }],
});

/** A small text Binary, with `securityContext` (a Reference, or anything a test sends as one) when given. */
export const binary = (id: string, securityContext?: unknown) => ({
  resourceType: 'Binary',
  id,
  contentType: 'text/plain',
  data: Buffer.from(`contents of ${id}`).toString('base64'),
  ...(securityContext === undefined ? {} : { securityContext }),
});

export async function seedTwoPatients(system: Caller): Promise<void> {
  await put(system, { resourceType: 'Patient', id: A, name: [{ family: 'Adams', given: ['Alpha'] }] });
  await put(system, { resourceType: 'Patient', id: B, name: [{ family: 'Brown', given: [B_NAME] }] });
  await put(system, encounter('enc-a', A));
  await put(system, encounter('enc-b', B));
  await put(system, condition('cond-a1', A, 'a-code', 'problem-list-item', 'enc-b'));
  await put(system, condition('cond-a2', A, 'a-code-2', 'encounter-diagnosis', 'enc-a'));
  await put(system, condition('cond-b1', B, B_CODE, 'problem-list-item', 'enc-b'));
  await put(system, { ...condition('cond-b1', B, B_CODE, 'problem-list-item', 'enc-b'), note: [{ text: 'second version' }] });
}

/** A secure server seeded with the two patients, and patient A's caller with `patient/*.*`. */
export async function startWithTwoPatients(): Promise<{ server: SecureServer; patientA: Caller }> {
  const server = await startSecureServer();
  await seedTwoPatients(server.system);
  return { server, patientA: await server.patient(A, 'patient/*.*') };
}
