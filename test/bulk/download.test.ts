import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync, constants as zlib } from 'node:zlib';
import { rawGet } from '../helpers/raw-http';
import { patient, startBulkServer, type BulkTestServer } from './helpers';

// Enough patients for a file of about 1 MB: several GridFS chunks (255 KiB each), so ranges cross chunk borders.
const PATIENTS = 8000;

/** Decompresses what arrived of a gzip body cut off mid-stream: every byte the received part decodes to. */
const gunzipPartial = (body: Buffer) => gunzipSync(body, { finishFlush: zlib.Z_SYNC_FLUSH });

describe.each([
  ['GridFS', false],
  ['BULK_EXPORT_DIR', true],
])('downloading an export file stored in %s', (_store, inDirectory) => {
  let server: BulkTestServer;
  let dir: string | undefined;
  let url: string;
  let whole: Buffer;

  beforeAll(async () => {
    dir = inDirectory ? await mkdtemp(path.join(os.tmpdir(), 'bulk-download-')) : undefined;
    server = await startBulkServer(dir ? { BULK_EXPORT_DIR: dir } : {});
    await server.seed(
      [...Array(PATIENTS)].map((_, i) => patient(`p${String(i).padStart(5, '0')}`, `Family${i}`)),
      undefined,
      { searchable: false },
    );
    const done = await server.waitDone((await server.kickoff('$export?_type=Patient')).headers.get('content-location') as string);
    url = done.body.output[0].url;
    whole = (await rawGet(url)).body;
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('sends the whole file with its length and Accept-Ranges: bytes when no range is asked', async () => {
    const res = await rawGet(url);
    expect(res.status).toBe(200);
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.headers['content-length']).toBe(String(whole.length));
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(whole.length).toBeGreaterThan(600 * 1024);
    expect(whole.toString('utf8').split('\n').filter(Boolean)).toHaveLength(PATIENTS);
  });

  it('compresses the file for a client that accepts gzip: the same bytes once decoded', async () => {
    const res = await rawGet(url, { 'accept-encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers.vary).toMatch(/accept-encoding/i);
    expect(res.headers['content-length']).toBeUndefined();
    expect(res.body.length).toBeLessThan(whole.length / 4);
    expect(gunzipSync(res.body).equals(whole)).toBe(true);
  });

  it.each([
    ['the first bytes', 'bytes=0-99', 0, 99],
    ['bytes across a GridFS chunk border', 'bytes=261000-261300', 261000, 261300],
    ['everything from an offset', 'bytes=300000-', 300000, -1],
    ['the last bytes (a suffix)', 'bytes=-500', -500, -1],
    ['a range running past the end, cut at it', 'bytes=1000-99999999', 1000, -1],
  ])('answers a Range for %s with 206, Content-Range and exactly those bytes, uncompressed even when gzip is accepted', async (_what, range, from, to) => {
    const start = from < 0 ? whole.length + from : from;
    const end = to < 0 ? whole.length - 1 : to;
    const res = await rawGet(url, { range, 'accept-encoding': 'gzip' });
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes ${start}-${end}/${whole.length}`);
    expect(res.headers['content-length']).toBe(String(end - start + 1));
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.body.equals(whole.subarray(start, end + 1))).toBe(true);
  });

  it('resumes a broken download that was negotiated with gzip: the decoded part and the range make the file, byte for byte', async () => {
    const first = await rawGet(url, { 'accept-encoding': 'gzip' }, { stopAfter: 16 * 1024 });
    expect(first.headers['content-encoding']).toBe('gzip');
    const got = gunzipPartial(first.body);
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(whole.length);

    const rest = await rawGet(url, { range: `bytes=${got.length}-`, 'accept-encoding': 'gzip' });
    expect(rest.status).toBe(206);
    expect(rest.headers['content-encoding']).toBeUndefined();
    expect(rest.headers['content-range']).toBe(`bytes ${got.length}-${whole.length - 1}/${whole.length}`);
    expect(Buffer.concat([got, rest.body]).equals(whole)).toBe(true);
  });

  it('answers 416 with the file size in Content-Range when the range starts at or beyond the end', async () => {
    const res = await rawGet(url, { range: `bytes=${whole.length}-`, 'accept-encoding': 'gzip' });
    expect(res.status).toBe(416);
    expect(res.headers['content-range']).toBe(`bytes */${whole.length}`);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(res.body.toString('utf8'))).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error' }] });
  });

  it.each([
    ['several ranges', { range: 'bytes=0-9,100-109' }],
    ['a malformed range', { range: 'bytes=abc' }],
    ['a unit other than bytes', { range: 'lines=0-9' }],
    ['an If-Range (there is no validator it could match)', { range: 'bytes=0-9', 'if-range': '"x"' }],
  ])('sends the whole file for %s', async (_what, headers) => {
    const res = await rawGet(url, headers);
    expect(res.status).toBe(200);
    expect(res.headers['content-range']).toBeUndefined();
    expect(res.body.equals(whole)).toBe(true);
  });

  it('answers HEAD with the headers of the download and no body', async () => {
    const res = await rawGet(url, { 'accept-encoding': 'gzip' }, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe(String(whole.length));
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.body.length).toBe(0);
  });
});
