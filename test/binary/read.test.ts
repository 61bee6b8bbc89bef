import { downloadLines } from '../helpers/ndjson';
import { startTestServer, type TestServer } from '../helpers/server';

/** Bytes no text encoding would keep as they are: every byte value, several times over. */
const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) % 256))]);

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ ATTACHMENT_INLINE_LIMIT: '1kb', BODY_LIMIT: '4kb', BULK_EXPORT_POLL: '20ms' });
});

afterAll(async () => {
  await server.close();
});

async function upload(body: Buffer, contentType = 'application/pdf', path = 'Binary', method = 'POST', headers: Record<string, string> = {}) {
  const res = await server.api(path, { method, headers: { 'content-type': contentType, accept: 'application/fhir+json', ...headers }, body });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

const raw = (path: string, headers: Record<string, string> = {}) => server.api(path, { headers });

describe('reading a Binary', () => {
  let id: string;
  beforeAll(async () => {
    const res = await upload(PDF);
    expect(res.status).toBe(201);
    id = res.body.id;
  });

  test('a raw POST stores the bytes as sent, with their media type', async () => {
    const res = await raw(`Binary/${id}`, { accept: 'application/pdf' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('etag')).toBe('W/"1"');
    expect(res.headers.get('last-modified')).toBeTruthy();
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await res.arrayBuffer()).equals(PDF)).toBe(true);
  });

  test('no Accept, */* and a browser Accept get the bytes; FHIR JSON gets the Binary with base64 data', async () => {
    for (const accept of [undefined, '*/*', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8']) {
      const res = await raw(`Binary/${id}`, accept ? { accept } : {});
      expect(res.headers.get('content-type')).toBe('application/pdf');
      expect(Buffer.from(await res.arrayBuffer()).equals(PDF)).toBe(true);
    }
    const json = await server.json('GET', `Binary/${id}`);
    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
    expect(json.body).toMatchObject({ resourceType: 'Binary', id, contentType: 'application/pdf', meta: { versionId: '1' } });
    expect(Buffer.from(json.body.data, 'base64').equals(PDF)).toBe(true);
    const viaFormat = await raw(`Binary/${id}?_format=json`);
    expect(((await viaFormat.json()) as any).data).toBe(json.body.data);
  });

  test('FHIR XML is 406, as anywhere on this server', async () => {
    expect((await raw(`Binary/${id}`, { accept: 'application/fhir+xml' })).status).toBe(406);
  });

  test('a single range is 206 with Content-Range; a suffix range counts from the end', async () => {
    const res = await raw(`Binary/${id}`, { range: 'bytes=10-19' });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes 10-19/${PDF.length}`);
    expect(Buffer.from(await res.arrayBuffer()).equals(PDF.subarray(10, 20))).toBe(true);
    const suffix = await raw(`Binary/${id}`, { range: 'bytes=-100' });
    expect(suffix.status).toBe(206);
    expect(suffix.headers.get('content-range')).toBe(`bytes ${PDF.length - 100}-${PDF.length - 1}/${PDF.length}`);
    expect(Buffer.from(await suffix.arrayBuffer()).equals(PDF.subarray(PDF.length - 100))).toBe(true);
  });

  test('a range beyond the end is 416 naming the size; several ranges get the whole content (200)', async () => {
    const beyond = await raw(`Binary/${id}`, { range: `bytes=${PDF.length}-` });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${PDF.length}`);
    const several = await raw(`Binary/${id}`, { range: 'bytes=0-9,100-109' });
    expect(several.status).toBe(200);
    expect(Buffer.from(await several.arrayBuffer()).equals(PDF)).toBe(true);
  });

  test('If-None-Match with the current version is 304, as for any resource', async () => {
    const res = await raw(`Binary/${id}`, { 'if-none-match': 'W/"1"' });
    expect(res.status).toBe(304);
  });
});

describe('versions of a Binary', () => {
  test('an update stores new bytes as a new version; vread returns each version its own bytes', async () => {
    const first = await upload(Buffer.from('first version'), 'text/plain');
    const id = first.body.id;
    const second = await upload(Buffer.from('the second version'), 'text/plain', `Binary/${id}`, 'PUT', { 'if-match': 'W/"1"' });
    expect(second.status).toBe(200);
    expect(second.body.meta.versionId).toBe('2');
    expect(await (await raw(`Binary/${id}`)).text()).toBe('the second version');
    expect(await (await raw(`Binary/${id}/_history/1`)).text()).toBe('first version');
    const v1 = await server.json('GET', `Binary/${id}/_history/1`);
    expect(Buffer.from(v1.body.data, 'base64').toString()).toBe('first version');
    const stale = await upload(Buffer.from('lost update'), 'text/plain', `Binary/${id}`, 'PUT', { 'if-match': 'W/"1"' });
    expect(stale.status).toBe(412);
    const history = await server.json('GET', `Binary/${id}/_history`);
    expect(history.body.entry.map((e: any) => e.resource.meta.versionId)).toEqual(['2', '1']);
  });

  test('a deleted Binary is 410, its past versions keep their bytes', async () => {
    const { body } = await upload(Buffer.from('to be deleted'), 'text/plain');
    expect((await server.json('DELETE', `Binary/${body.id}`)).status).toBe(200);
    expect((await raw(`Binary/${body.id}`)).status).toBe(410);
    expect(await (await raw(`Binary/${body.id}/_history/1`)).text()).toBe('to be deleted');
  });

  test('bytes too large for a FHIR JSON answer are refused as JSON (406, naming the limit) but read raw', async () => {
    const big = Buffer.alloc(5000, 1);
    const { body } = await upload(big);
    const json = await server.json('GET', `Binary/${body.id}`);
    expect(json.status).toBe(406);
    expect(json.body.issue[0].diagnostics).toMatch(/holds 5000 bytes, more than the 3072/);
    expect((await (await raw(`Binary/${body.id}`)).arrayBuffer()).byteLength).toBe(5000);
  });
});

describe('bulk export of Binary', () => {
  test('_type=Binary writes each Binary as NDJSON with its bytes as base64 data, too large ones without', async () => {
    const { body } = await upload(Buffer.from('exported bytes'), 'text/plain');
    const kick = await server.json('GET', '$export?_type=Binary', undefined, { prefer: 'respond-async' });
    expect(kick.status).toBe(202);
    const status = (kick.headers.get('content-location') as string).slice(server.baseUrl.length + 1);
    let done = await server.json('GET', status);
    while (done.status === 202) {
      await new Promise((r) => setTimeout(r, 25));
      done = await server.json('GET', status);
    }
    const lines = await downloadLines(done.body.output);
    const line = lines.find((l) => l.id === body.id);
    expect(line).toMatchObject({ resourceType: 'Binary', contentType: 'text/plain' });
    expect(Buffer.from(line.data, 'base64').toString()).toBe('exported bytes');
    // Over 3/4 of BODY_LIMIT (the 5,000 bytes above): the line leaves data out; the bytes are read raw by id.
    expect(lines.filter((l) => l.data === undefined).length).toBeGreaterThan(0);
  });
});
