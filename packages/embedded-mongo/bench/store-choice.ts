/**
 * Which disk-backed key-value store the engine's storage sits on: lmdb or LevelDB (classic-level), on the engine's own
 * access pattern. Documents are BSON values under `collection id + _id key`; index entries are empty values under
 * `index id + encoded key + _id key` (the engine's key encoding); writes commit in batches of a command's size; reads
 * are point gets by id, short range scans from a key (an index scan for a page of search results) and reads in a
 * snapshot taken before later writes. Run: `node -r @swc-node/register bench/store-choice.ts [count]`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BSON } from 'bson';
import { ClassicLevel } from 'classic-level';
import { open } from 'lmdb';
import { encodeKey } from '../src/values/key-encoding';

const N = Number(process.argv[2] ?? 100_000);
const BATCH = 100;
const KEYS_PER_DOC = 12;
const GETS = 50_000;
const SCANS = 2_000;
const SCAN_LEN = 50;

const prefix = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const idKey = (i: number) => Buffer.from(encodeKey(`obs-${i.toString(36).padStart(6, '0')}`), 'latin1');
const ID_LEN = idKey(0).length;
const docKey = (i: number) => Buffer.concat([prefix(1), idKey(i)]);
function entryKeys(i: number): Buffer[] {
  const id = idKey(i);
  const out: Buffer[] = [];
  for (let k = 0; k < KEYS_PER_DOC; k++) {
    const value = k % 3 === 0 ? `code-${i % 500}` : k % 3 === 1 ? new Date(1.6e12 + i * 60_000) : `Patient/${i % 5000}`;
    out.push(Buffer.concat([prefix(100 + k), Buffer.from(encodeKey(value), 'latin1'), id]));
  }
  return out;
}
// Text that does not compress to nothing (LevelDB compresses blocks with Snappy).
const text = Array.from({ length: 300 }, (_, i) => (i * 7919).toString(36)).join(' ');
const docBytes = (i: number) =>
  Buffer.from(
    BSON.serialize({
      _id: `obs-${i}`,
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: `code-${i % 500}` }] },
      subject: { reference: `Patient/${i % 5000}` },
      effectiveDateTime: new Date(1.6e12 + i * 60_000),
      text,
    }),
  );
const EMPTY = Buffer.alloc(0);

function dirSize(dir: string): number {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .reduce((n, e) => n + (e.isDirectory() ? dirSize(path.join(dir, e.name)) : fs.statSync(path.join(dir, e.name)).blocks * 512), 0);
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) * p)];
}

const rand = (n: number) => Math.floor(Math.random() * n);
type Row = Record<string, string | number>;

function row(store: string, syncApi: string, m: { ingest: number; getUs: number; scans: number[]; isolated: boolean; dir: string }): Row {
  return {
    store,
    'ingest docs/s': Math.round(m.ingest),
    'get+decode µs': m.getUs.toFixed(1),
    'scan 50 p50 ms': percentile(m.scans, 0.5).toFixed(3),
    'snapshot isolated': String(m.isolated),
    'sync API': syncApi,
    'disk MB': (dirSize(m.dir) / 1e6).toFixed(0),
  };
}

async function benchLmdb(dir: string): Promise<Row> {
  const env = open({ path: dir, noSync: true, maxDbs: 4 });
  const docs = env.openDB({ name: 'docs', encoding: 'binary', keyEncoding: 'binary' });
  const idx = env.openDB({ name: 'idx', encoding: 'binary', keyEncoding: 'binary' });
  let t = performance.now();
  for (let b = 0; b < N; b += BATCH) {
    env.transactionSync(() => {
      for (let i = b; i < Math.min(N, b + BATCH); i++) {
        docs.putSync(docKey(i), docBytes(i));
        for (const k of entryKeys(i)) idx.putSync(k, EMPTY);
      }
    });
  }
  await env.flushed;
  const ingest = N / ((performance.now() - t) / 1000);
  t = performance.now();
  for (let g = 0; g < GETS; g++) BSON.deserialize(docs.getBinary(docKey(rand(N)))!);
  const getUs = ((performance.now() - t) * 1000) / GETS;
  const scans: number[] = [];
  for (let s = 0; s < SCANS; s++) {
    const t0 = performance.now();
    const start = entryKeys(rand(N))[1];
    for (const { key } of idx.getRange({ start, limit: SCAN_LEN })) {
      BSON.deserialize(docs.getBinary(Buffer.concat([prefix(1), (key as Buffer).subarray((key as Buffer).length - ID_LEN)]))!);
    }
    scans.push(performance.now() - t0);
  }
  // A snapshot keeps seeing the state it was taken in while later writes commit.
  const snap = env.useReadTransaction();
  env.transactionSync(() => docs.putSync(docKey(0), Buffer.from(BSON.serialize({ _id: 'changed' }))));
  const old = BSON.deserialize(docs.get(docKey(0), { transaction: snap }) as Buffer);
  snap.done();
  await env.close();
  return row('lmdb 3.5.6', 'yes', { ingest, getUs, scans, isolated: old._id === 'obs-0', dir });
}

async function benchLevel(dir: string): Promise<Row> {
  const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  let t = performance.now();
  for (let b = 0; b < N; b += BATCH) {
    const ops: Array<{ type: 'put'; key: Buffer; value: Buffer }> = [];
    for (let i = b; i < Math.min(N, b + BATCH); i++) {
      ops.push({ type: 'put', key: docKey(i), value: docBytes(i) });
      for (const k of entryKeys(i)) ops.push({ type: 'put', key: k, value: EMPTY });
    }
    await db.batch(ops);
  }
  const ingest = N / ((performance.now() - t) / 1000);
  t = performance.now();
  for (let g = 0; g < GETS; g++) BSON.deserialize(db.getSync(docKey(rand(N)))!);
  const getUs = ((performance.now() - t) * 1000) / GETS;
  const scans: number[] = [];
  for (let s = 0; s < SCANS; s++) {
    const t0 = performance.now();
    const start = entryKeys(rand(N))[1];
    // Iterators are asynchronous only: the engine's synchronous planner and executor would have to become async.
    for await (const key of db.keys({ gte: start, limit: SCAN_LEN })) BSON.deserialize(db.getSync(Buffer.concat([prefix(1), key.subarray(key.length - ID_LEN)]))!);
    scans.push(performance.now() - t0);
  }
  const snap = db.snapshot();
  await db.put(docKey(0), Buffer.from(BSON.serialize({ _id: 'changed' })));
  const old = BSON.deserialize((await db.get(docKey(0), { snapshot: snap }))!);
  await snap.close();
  await db.close();
  return row('classic-level 3.0.0', 'get only', { ingest, getUs, scans, isolated: old._id === 'obs-0', dir });
}

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'store-choice-'));
  try {
    const rows = [await benchLmdb(path.join(root, 'lmdb')), await benchLevel(path.join(root, 'level'))];
    console.log(`${N} documents of ${docBytes(0).length} bytes, ${KEYS_PER_DOC} index entries each, commits of ${BATCH}`);
    console.table(rows);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

void main();
