import { rawPut } from './support';
import { A, B, docRef, put, seedTwoPatients, startSecureServer, type Caller, type SecureServer } from '../security/support';

/**
 * A Binary is readable exactly when its securityContext target is (checked at read time), raw or as JSON, by
 * every path a patient-bound token has: read, vread, Range, history, and the Binary an inline attachment became.
 */
let server: SecureServer;
let reader: Caller;
let token: string;

/** A raw read (no FHIR Accept) as the patient token. */
const readRaw = (path: string, headers: Record<string, string> = {}) => server.api(path, { headers: { authorization: `Bearer ${token}`, ...headers } });

beforeAll(async () => {
  server = await startSecureServer();
  await seedTwoPatients(server.system);
  await put(server.system, docRef('doc-a', A));
  await put(server.system, docRef('doc-b', B));
  await put(server.system, docRef('doc-gone', A));
  await rawPut(server, 'bin-doc-a', "A's scan", 'DocumentReference/doc-a');
  await rawPut(server, 'bin-doc-b', "B's scan", 'DocumentReference/doc-b');
  await rawPut(server, 'bin-doc-gone', "A's deleted scan", 'DocumentReference/doc-gone');
  await rawPut(server, 'bin-none', 'no context');
  await rawPut(server, 'bin-doc-b', "B's scan, second version", 'DocumentReference/doc-b');
  expect((await server.system.json('DELETE', 'DocumentReference/doc-gone')).status).toBe(200);
  token = await server.sign({ scope: 'patient/*.read', patient: A });
  reader = server.as(token);
});

afterAll(async () => {
  await server.close();
});

describe('a patient token reading Binaries', () => {
  test("reads its own document's Binary raw, in ranges and as JSON", async () => {
    const res = await readRaw('Binary/bin-doc-a');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("A's scan");
    const part = await readRaw('Binary/bin-doc-a', { range: 'bytes=0-2' });
    expect(part.status).toBe(206);
    expect(await part.text()).toBe("A's");
    const json = await reader.json('GET', 'Binary/bin-doc-a');
    expect(Buffer.from(json.body.data, 'base64').toString()).toBe("A's scan");
  });

  test.each([
    ['Binary/bin-doc-b', "another patient's document"],
    ['Binary/bin-doc-b/_history/1', "a past version of another patient's"],
    ['Binary/bin-doc-gone', 'a document deleted since (checked at read time)'],
    ['Binary/bin-none', 'no securityContext'],
  ])('%s (%s) is 404 raw, in a range and as JSON, and its bytes never leave', async (path) => {
    for (const headers of [{}, { range: 'bytes=0-3' }, { 'if-none-match': 'W/"1"' }] as Array<Record<string, string>>) {
      const res = await readRaw(path, headers);
      expect(res.status).toBe(404);
      expect(await res.text()).not.toMatch(/scan|context/);
    }
    expect((await reader.json('GET', path)).status).toBe(404);
  });

  test("history of another patient's Binary shows nothing", async () => {
    const res = await reader.json('GET', 'Binary/bin-doc-b/_history');
    expect(res.status === 404 || (res.status === 200 && (res.body.entry ?? []).length === 0)).toBe(true);
  });

  test('may not write a Binary (it is not patient data), raw or JSON', async () => {
    const writer = await server.sign({ scope: 'patient/*.*', patient: A });
    const res = await server.api('Binary', {
      method: 'POST',
      headers: { authorization: `Bearer ${writer}`, 'content-type': 'text/plain', 'x-security-context': 'DocumentReference/doc-a' },
      body: 'x',
    });
    expect(res.status).toBe(403);
  });

  test('an inline attachment moved to a Binary is readable with its document, by A and not by B', async () => {
    const writer = server.as(await server.sign({ scope: 'patient/*.*', patient: A }));
    const data = Buffer.alloc(300 * 1024, 'a');
    const res = await writer.json('POST', 'DocumentReference', {
      resourceType: 'DocumentReference',
      status: 'current',
      subject: { reference: `Patient/${A}` },
      content: [{ attachment: { contentType: 'text/plain', data: data.toString('base64') } }],
    });
    expect(res.status).toBe(201);
    const url: string = res.body.content[0].attachment.url;
    expect(url).toMatch(/^Binary\//);
    const own = await readRaw(url);
    expect(own.status).toBe(200);
    expect(Buffer.from(await own.arrayBuffer()).equals(data)).toBe(true);
    const other = await server.sign({ scope: 'patient/*.read', patient: B });
    expect((await server.api(url, { headers: { authorization: `Bearer ${other}` } })).status).toBe(404);
  });
});
