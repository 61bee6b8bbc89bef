import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ISSUER, externalIssuer, nowS, signToken, testKey, type TestKey, writeJson } from '../auth/fixtures';
import { downloadLines } from '../helpers/ndjson';
import { type ServerProcess, spawnServer } from '../helpers/server-process';

/**
 * A destruction interrupted by kill -9 and resumed by the next server on the same data directory, against the
 * embedded engine on disk: every record goes exactly once, the certificate lists each once, and afterwards no file
 * of the data directory holds a destroyed patient's name (the store's files are compacted at the end).
 */
const RECORDS = 24;
const NAME = 'Zebediahquist';
const KEPT_NAME = 'Keptalive';

let dir: string;
let key: TestKey;
let env: Record<string, string>;
let running: ServerProcess | undefined;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-destruction-crash-'));
  key = await testKey('ES384');
  const jwks = writeJson(fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-jwks-')), 'jwks.json', { keys: [key.publicJwk] });
  env = {
    ...externalIssuer(pathToFileURL(jwks).href),
    DATA_DIR: path.join(dir, 'data'),
    MONGODB_URI: '',
    BULK_EXPORT_POLL: '50ms',
    BULK_EXPORT_LEASE: '2s',
    DESTRUCTION_BATCH: '1',
    // Every record (3 resources) goes in a part (its Encounter and Observation) before its batch (its Patient), so
    // the kill may come in the middle of a record.
    DESTRUCTION_TRANSACTION_RESOURCES: '2',
  };
});
afterAll(async () => {
  running?.child.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

async function call(server: ServerProcess, token: string, method: string, p: string, body?: unknown) {
  const res = await fetch(`${server.baseUrl}/${p}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json', accept: 'application/fhir+json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

const token = (server: ServerProcess, claims: Record<string, unknown>) =>
  signToken(key, { iss: ISSUER, aud: server.baseUrl, iat: nowS(), exp: nowS() + 600, jti: randomUUID(), client_id: 'records-app', ...claims });
const user = (server: ServerProcess, who: string) => token(server, { scope: 'user/*.*', fhirUser: `Practitioner/${who}`, sub: who });

async function seed(server: ServerProcess, system: string) {
  const put = async (resource: { resourceType: string; id: string; [k: string]: unknown }) => {
    const res = await call(server, system, 'PUT', `${resource.resourceType}/${resource.id}`, resource);
    if (res.status >= 300) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
  };
  const record = async (id: string, family: string, ended: string) => {
    await put({ resourceType: 'Patient', id, name: [{ family, given: ['Test'] }], birthDate: '1950-01-01' });
    await put({
      resourceType: 'Encounter',
      id: `enc-${id}`,
      status: 'finished',
      class: { code: 'AMB' },
      subject: { reference: `Patient/${id}` },
      period: { start: ended, end: ended },
    });
    await put({ resourceType: 'Observation', id: `obs-${id}`, status: 'final', code: { text: `note on ${family}` }, subject: { reference: `Patient/${id}` } });
  };
  for (let i = 0; i < RECORDS; i++) await record(`gone-${i}`, `${NAME}${i}`, '2001-01-01');
  await record('kept', KEPT_NAME, '2020-01-01');
}

/** Every file under the data directory whose bytes hold `text` (or its lower-case form, as the search index stores names). */
function filesHolding(text: string): string[] {
  const needles = [text, text.toLowerCase()].map((t) => Buffer.from(t, 'utf8'));
  return fs
    .readdirSync(env.DATA_DIR, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .filter((f) => {
      const bytes = fs.readFileSync(f);
      return needles.some((n) => bytes.includes(n));
    });
}

it('resumes after kill -9, destroys each record once, and leaves no destroyed name in the engine files', async () => {
  running = await spawnServer(env);
  let server = running;
  const system = await token(server, { scope: 'system/*.*' });
  await seed(server, system);
  expect((await call(server, system, 'GET', `Patient?family=${NAME}0`)).body.total).toBe(1);
  const alice = await user(server, 'alice');
  const kick = await call(server, alice, 'POST', '$destruction-review', { resourceType: 'Parameters', parameter: [{ name: 'date', valueDate: '2025-01-01' }] });
  const reviewUrl = kick.headers.get('content-location') as string;
  while ((await call(server, alice, 'GET', reviewUrl.slice(server.baseUrl.length + 1))).status === 202) await new Promise((r) => setTimeout(r, 50));

  const bob = await user(server, 'bob');
  const approved = await call(server, bob, 'POST', '$destruction-approve', { resourceType: 'Parameters', parameter: [{ name: 'review', valueUri: reviewUrl }] });
  expect(approved.status).toBe(202);
  const statusPath = (approved.headers.get('content-location') as string).slice(server.baseUrl.length + 1);
  // Killed once a few batches are committed, mid-way.
  for (;;) {
    const poll = await call(server, bob, 'GET', statusPath);
    expect(poll.status).toBe(202);
    if (Number(/(\d+) records destroyed/.exec(poll.headers.get('x-progress') ?? '')?.[1] ?? 0) >= 3) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  server.child.kill('SIGKILL');
  await server.exited;

  running = server = await spawnServer(env);
  const bobAgain = await user(server, 'bob');
  let done;
  for (;;) {
    done = await call(server, bobAgain, 'GET', statusPath);
    if (done.status !== 202) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(done.status).toBe(200);
  const output = await downloadLines(done.body.output, bobAgain);
  const certificate = output.find((l) => l.parameter[0].name === 'certificate').parameter[0].valueReference.reference;
  const systemAgain = await token(server, { scope: 'system/*.*' });
  const doc = (await call(server, systemAgain, 'GET', certificate)).body;
  const json = JSON.parse(Buffer.from((await call(server, systemAgain, 'GET', doc.content[1].attachment.url)).body.data, 'base64').toString());
  expect(json.records).toHaveLength(RECORDS);
  expect(new Set(json.records.map((r: { record: string }) => r.record)).size).toBe(RECORDS);
  expect(json.totals.Patient.resources).toBe(RECORDS);
  for (let i = 0; i < RECORDS; i++) expect((await call(server, systemAgain, 'GET', `Patient/gone-${i}`)).status).toBe(404);
  expect((await call(server, systemAgain, 'GET', 'Patient/kept')).status).toBe(200);

  server.child.kill('SIGTERM');
  await server.exited;
  running = undefined;
  expect(filesHolding(KEPT_NAME).length).toBeGreaterThan(0);
  expect(filesHolding(NAME)).toEqual([]);
}, 180_000);
