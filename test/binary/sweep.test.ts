import { randomBytes } from 'node:crypto';
import { Binary as BsonBinary, ObjectId, type Db } from 'mongodb';
import { UploadSweeper, UPLOAD_GRACE_MS } from '../../src/binary/sweep';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * The sweep of uploads of writes that did not complete: chunks without their file (a process killed mid-upload),
 * files no version names (a write that failed after its upload). The server swept at its start, leased for most of
 * an hour, so these sweeps run at times after that lease.
 */

let server: TestServer;
let db: Db;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

beforeAll(async () => {
  server = await startTestServer();
  db = server.store.db;
});

afterAll(async () => {
  await server.close();
});

/** An ObjectId made at `ms`, as the driver makes a GridFS file's id when an upload starts and each chunk's as it is written. */
const idAt = (ms: number) =>
  new ObjectId(
    Math.floor(ms / 1000)
      .toString(16)
      .padStart(8, '0') + randomBytes(8).toString('hex'),
  );

/** Chunks written through the driver, as an upload writes them: `times[n]` is when chunk n was written. */
async function writeChunks(filesId: ObjectId, times: number[]): Promise<void> {
  const chunks = times.map((t, n) => ({ _id: idAt(t), files_id: filesId, n, data: new BsonBinary(randomBytes(1024)) }));
  await db.collection('binary.chunks').insertMany(chunks);
}

const chunksOf = (filesId: ObjectId) => db.collection('binary.chunks').countDocuments({ files_id: filesId });

test('removes uploads that did not complete once past the grace period; uploads in progress and stored bytes stay', async () => {
  const at = Date.now() + HOUR;
  const old = at - UPLOAD_GRACE_MS - HOUR;
  // Killed mid-upload two hours ago: three chunks, no file.
  const cut = idAt(old);
  await writeChunks(cut, [old, old + 1000, old + 2000]);
  // A slow upload that started two hours ago and wrote its latest chunk a minute ago.
  const slow = idAt(old);
  await writeChunks(slow, [old, at - MINUTE]);
  // An upload that started a minute ago.
  const recent = idAt(at - MINUTE);
  await writeChunks(recent, [at - MINUTE]);
  // A finished upload whose write failed: a file no version names.
  const unnamed = idAt(old);
  await writeChunks(unnamed, [old]);
  await db.collection('binary.files').insertOne({ _id: unnamed, length: 1024, chunkSize: 261120, uploadDate: new Date(old), filename: 'Binary' });
  // A stored Binary, uploaded through the API.
  const stored = await server.api('Binary', { method: 'POST', headers: { 'content-type': 'application/pdf' }, body: Buffer.from('%PDF-1.7 kept') });
  const id = ((await stored.json()) as { id: string }).id;

  const result = await new UploadSweeper(db, { owner: 'test', leaseMs: MINUTE }).sweep(at);

  expect(result).toEqual({ swept: true, files: 1, unfinished: 1 });
  expect(await chunksOf(cut)).toBe(0);
  expect(await chunksOf(unnamed)).toBe(0);
  expect(await chunksOf(slow)).toBe(2);
  expect(await chunksOf(recent)).toBe(1);
  expect(await (await server.api(`Binary/${id}`)).text()).toBe('%PDF-1.7 kept');
});

test('one sweep per lease period, whichever process takes it', async () => {
  const at = Date.now() + 3 * HOUR;
  const one = new UploadSweeper(db, { owner: 'one', leaseMs: 10 * MINUTE });
  const other = new UploadSweeper(db, { owner: 'other', leaseMs: 10 * MINUTE });
  expect((await one.sweep(at)).swept).toBe(true);
  expect((await other.sweep(at + MINUTE)).swept).toBe(false);
  expect((await one.sweep(at + 2 * MINUTE)).swept).toBe(false);
  expect((await other.sweep(at + 10 * MINUTE)).swept).toBe(true);
});

test('a sweep state stored before its lease was a job lease (until, owner) still lets a sweep run, and is rewritten', async () => {
  const at = Date.now() + 5 * HOUR;
  const state = db.collection<{ _id: string; [k: string]: unknown }>('binary_sweep');
  await state.replaceOne({ _id: 'uploads' }, { until: new Date(at - MINUTE), owner: 'old', sweptAt: new Date(at - 2 * HOUR) }, { upsert: true });
  expect((await new UploadSweeper(db, { owner: 'new', leaseMs: 10 * MINUTE }).sweep(at)).swept).toBe(true);
  expect(await state.findOne({ _id: 'uploads' })).toEqual({ _id: 'uploads', leaseOwner: 'new', leaseUntil: new Date(at + 10 * MINUTE), sweptAt: new Date(at) });
});
