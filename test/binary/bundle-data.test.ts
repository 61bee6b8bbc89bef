import { startTestServer, type TestServer } from '../helpers/server';

/**
 * Binaries in searchset and history Bundles carry their bytes as a read in FHIR JSON does, up to a budget per
 * Bundle (BINARY_BUNDLE_DATA_LIMIT, here 5 KB; every raw upload here is out of line, over ATTACHMENT_INLINE_LIMIT).
 */

let server: TestServer;

const bytes = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * seed + seed) % 256));
const A = bytes(3000, 7);
const B = bytes(3000, 11);
const BIG = bytes(8000, 13);
const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };

async function put(id: string, body: Buffer, headers: Record<string, string> = {}): Promise<void> {
  const res = await server.api(`Binary/${id}`, { method: 'PUT', headers: { 'content-type': 'application/pdf', ...headers }, body });
  expect([200, 201]).toContain(res.status);
}

const dataOf = (resource: any) => (resource.data === undefined ? undefined : Buffer.from(resource.data, 'base64'));
const warnings = (bundle: any) => bundle.entry.filter((e: any) => e.search?.mode === 'outcome').flatMap((e: any) => e.resource.issue);

beforeAll(async () => {
  server = await startTestServer({ ATTACHMENT_INLINE_LIMIT: '1kb', BINARY_BUNDLE_DATA_LIMIT: '5kb' });
  await put('a', A);
  await put('b', B);
  await put('big', BIG);
});

afterAll(async () => {
  await server.close();
});

test('a search returns a Binary with its bytes as data, as a read gives it', async () => {
  const search = await server.json('GET', 'Binary?_id=a');
  expect(search.status).toBe(200);
  const found = search.body.entry.find((e: any) => e.search.mode === 'match').resource;
  expect(dataOf(found)?.equals(A)).toBe(true);
  const read = await server.json('GET', 'Binary/a');
  expect(found).toEqual(read.body);
});

test('a Binary over the budget comes without data, tagged SUBSETTED, and a warning names it', async () => {
  const search = await server.json('GET', 'Binary?_id=big');
  const found = search.body.entry.find((e: any) => e.search.mode === 'match').resource;
  expect(found.data).toBeUndefined();
  expect(found.meta.tag).toContainEqual(SUBSETTED);
  expect(warnings(search.body)).toEqual([expect.objectContaining({ severity: 'warning', code: 'too-costly', diagnostics: expect.stringContaining('Binary/big') })]);
  expect(warnings(search.body)[0].diagnostics).toContain('8000 bytes');
});

test('the budget is per Bundle: entries are filled in order while their bytes fit', async () => {
  const search = await server.json('GET', 'Binary?_id=a,b&_sort=_id');
  const [a, b] = search.body.entry.filter((e: any) => e.search.mode === 'match').map((e: any) => e.resource);
  expect([a.id, b.id]).toEqual(['a', 'b']);
  expect(dataOf(a)?.equals(A)).toBe(true);
  expect(b.data).toBeUndefined();
  expect(b.meta.tag).toContainEqual(SUBSETTED);
  expect(warnings(search.body).map((i: any) => i.diagnostics)).toEqual([expect.stringContaining('Binary/b')]);
});

test('history: each version with its own bytes; a version over the budget says so in its response outcome', async () => {
  await put('h', A);
  await put('h', BIG);
  const history = await server.json('GET', 'Binary/h/_history');
  expect(history.status).toBe(200);
  const [v2, v1] = history.body.entry;
  expect(v2.resource.meta.versionId).toBe('2');
  expect(v2.resource.data).toBeUndefined();
  expect(v2.resource.meta.tag).toContainEqual(SUBSETTED);
  expect(v2.response.outcome.issue).toEqual([expect.objectContaining({ severity: 'warning', diagnostics: expect.stringContaining('Binary/h (version 2)') })]);
  expect(dataOf(v1.resource)?.equals(A)).toBe(true);
  expect(v1.response.outcome).toBeUndefined();
});

test('_summary and _elements leave data out as the client asked, without a warning', async () => {
  for (const query of ['_summary=true', '_elements=contentType']) {
    const search = await server.json('GET', `Binary?_id=a&${query}`);
    const found = search.body.entry.find((e: any) => e.search.mode === 'match').resource;
    expect(found.data).toBeUndefined();
    expect(warnings(search.body)).toEqual([]);
  }
});

test("$everything returns the record's Binaries with their bytes", async () => {
  const patient = await server.json('POST', 'Patient', { resourceType: 'Patient', name: [{ family: 'Bytes' }] });
  await put('scan', B, { 'x-security-context': `Patient/${patient.body.id}` });
  const sent = await server.json('POST', 'Communication', {
    resourceType: 'Communication',
    status: 'completed',
    subject: { reference: `Patient/${patient.body.id}` },
    payload: [{ contentReference: { reference: 'Binary/scan' } }],
  });
  expect(sent.status).toBe(201);
  const everything = await server.json('GET', `Patient/${patient.body.id}/$everything`);
  expect(everything.status).toBe(200);
  const scan = everything.body.entry.find((e: any) => e.resource.resourceType === 'Binary')?.resource;
  expect(dataOf(scan)?.equals(B)).toBe(true);
});

test('a search in a batch entry answers the same', async () => {
  const batch = await server.json('POST', '', { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'GET', url: 'Binary?_id=a' } }] });
  expect(batch.status).toBe(200);
  const found = batch.body.entry[0].resource.entry.find((e: any) => e.search.mode === 'match').resource;
  expect(dataOf(found)?.equals(A)).toBe(true);
});
