/**
 * Embedded engine bench: writes, point reads, indexed query latency at 100k and 1M documents, start-up replay
 * time, and memory per 100k FHIR-sized documents, all through the official driver in the same process (as the
 * server runs it).
 *
 * Run alone:  npm run build && node --expose-gc dist/bench/engine.js [--quick]
 *   [--only=writes,startup,queries] [--startup-docs=N]
 * (--expose-gc makes the memory figure exact; --quick stops the query runs at 100k documents; --startup-docs sizes
 * the memory and start-up section, 100k by default: a million FHIR-sized documents need about 6 GB of heap.)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IndexDescription, MongoClient } from 'mongodb';
import { startEmbeddedMongo } from '@fhirstone/embedded-mongo';
import { ENTRY_INDEXES } from '../src/search/index-specs';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;
type Row = Record<string, number>;

const GENDERS = ['male', 'female', 'other', 'unknown'];

/** A Patient-like stored document: resource JSON text plus search entries, about 2.5 KB of BSON. */
export function fhirSizedDoc(i: number): Doc {
  const family = `Family${i % 5000}`;
  const birth = new Date(Date.UTC(1930 + (i % 90), i % 12, 1 + (i % 28)));
  const resource = {
    resourceType: 'Patient',
    id: `p${i}`,
    meta: { versionId: '1', lastUpdated: new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString() },
    identifier: [
      { system: 'http://hospital.example.org/mrn', value: `MRN${100000 + i}` },
      { system: 'http://hl7.org/fhir/sid/us-ssn', value: `999-${String(i).padStart(6, '0')}` },
    ],
    name: [{ use: 'official', family, given: [`Given${i % 700}`, `Middle${i % 31}`], prefix: ['Mx.'] }],
    telecom: [
      { system: 'phone', value: `555-${String(i % 10000).padStart(4, '0')}`, use: 'home' },
      { system: 'email', value: `p${i}@example.org` },
    ],
    gender: GENDERS[i % 4],
    birthDate: birth.toISOString().slice(0, 10),
    address: [{ line: [`${i % 999} Main Street`, 'Apt 4'], city: `City${i % 300}`, state: 'MA', postalCode: String(10000 + (i % 89999)), country: 'US' }],
    extension: [
      {
        url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-race',
        extension: [
          { url: 'ombCategory', valueCoding: { system: 'urn:oid:2.16.840.1.113883.6.238', code: '2106-3', display: 'White' } },
          { url: 'text', valueString: 'White' },
        ],
      },
      { url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex', valueCode: i % 2 ? 'M' : 'F' },
    ],
    communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'en-US' }] } }],
    text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${family}, Given${i % 700} born ${birth.toISOString().slice(0, 10)}</div>` },
  };
  return {
    _id: `p${i}`,
    vid: 1,
    lu: new Date(Date.UTC(2024, 0, 1) + i * 1000),
    del: false,
    r: JSON.stringify(resource),
    c: [`Patient/p${i}`],
    s: {
      e: [
        { p: 'family', v: family.toLowerCase() },
        { p: 'given', v: `given${i % 700}` },
        { p: 'given', v: `middle${i % 31}` },
        { p: 'name', v: family.toLowerCase() },
        { p: 'gender', v: GENDERS[i % 4], sy: 'http://hl7.org/fhir/administrative-gender' },
        { p: 'birthdate', lo: birth, hi: new Date(birth.getTime() + 86_399_999) },
        { p: 'identifier', v: `MRN${100000 + i}`, sy: 'http://hospital.example.org/mrn' },
        { p: 'identifier', v: `999-${String(i).padStart(6, '0')}`, sy: 'http://hl7.org/fhir/sid/us-ssn' },
        { p: 'address-city', v: `city${i % 300}` },
        { p: 'address-postalcode', v: String(10000 + (i % 89999)) },
        { p: 'phone', v: `555-${String(i % 10000).padStart(4, '0')}` },
        { p: 'email', v: `p${i}@example.org` },
      ],
      o: { birthdate: { a: birth, d: birth }, family: { a: family.toLowerCase(), d: family.toLowerCase() } },
    },
  };
}

/** A compact indexed document for the 1M-document latency runs (a FHIR-sized million would need ~8 GB of heap). */
function smallDoc(i: number): Doc {
  const at = Date.UTC(2000, 0, 1) + i * 60_000;
  return {
    _id: `s${i}`,
    lu: new Date(Date.UTC(2024, 0, 1) + i * 1000),
    c: [`Patient/p${i % 50000}`],
    s: {
      e: [
        { p: 'code', v: `c${i % 20000}`, sy: 'http://loinc.org' },
        { p: 'date', lo: new Date(at), hi: new Date(at + 59_999) },
      ],
    },
  };
}

/** The search layer's indexes (entries, compartment, _lastUpdated) with the sort indexes these documents fill. */
export const SEARCH_INDEXES: IndexDescription[] = [
  { key: { lu: 1, _id: 1 }, name: 'lastUpdated' },
  ...ENTRY_INDEXES,
  ...['birthdate', 'family'].flatMap((code) => [
    { key: { [`s.o.${code}.a`]: 1, _id: 1 }, name: `sort_${code}_asc` },
    { key: { [`s.o.${code}.d`]: -1, _id: 1 }, name: `sort_${code}_desc` },
  ]),
];

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function timeEach(n: number, fn: (i: number) => Promise<unknown>): Promise<{ median: number; p95: number }> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await fn(i);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { median: quantile(times, 0.5), p95: quantile(times, 0.95) };
}

async function rate(total: number, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await fn(next++);
    }),
  );
  return Math.round(total / (Number(process.hrtime.bigint() - start) / 1e9));
}

function heapMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

const round = (x: number, digits = 2) => Number(x.toFixed(digits));

async function loadInBatches(client: MongoClient, coll: string, count: number, make: (i: number) => Doc): Promise<number> {
  const col = client.db('bench').collection<Doc>(coll);
  const start = Date.now();
  for (let i = 0; i < count; i += 5000) {
    await col.insertMany(
      Array.from({ length: Math.min(5000, count - i) }, (_, j) => make(i + j)),
      { ordered: false },
    );
  }
  return Math.round(count / ((Date.now() - start) / 1000));
}

async function queryLatencies(client: MongoClient, coll: string, size: number, out: Row, prefix: string): Promise<void> {
  const col = client.db('bench').collection<Doc>(coll);
  const eq = await timeEach(200, (i) =>
    col
      .find({ 's.e': { $elemMatch: { p: 'code', v: `c${(i * 37) % 20000}` } } })
      .limit(50)
      .toArray(),
  );
  // Overlap of a stored period with a 20-minute window, as the search layer asks for `ap` (lo <= end, hi >= start).
  const range = await timeEach(200, (i) => {
    const from = new Date(Date.UTC(2000, 0, 1) + ((i * 7919) % size) * 60_000);
    return col.find({ 's.e': { $elemMatch: { p: 'date', lo: { $lte: new Date(from.getTime() + 20 * 60_000) }, hi: { $gte: from } } } }).toArray();
  });
  const sorted = await timeEach(200, (i) =>
    col
      .find({ c: `Patient/p${(i * 13) % 50000}` })
      .sort({ _id: -1 })
      .limit(20)
      .toArray(),
  );
  const byId = await timeEach(500, (i) => col.findOne({ _id: `s${(i * 7) % size}` }));
  out[`${prefix}_indexed_equality_ms_median`] = round(eq.median);
  out[`${prefix}_indexed_equality_ms_p95`] = round(eq.p95);
  out[`${prefix}_indexed_range_ms_median`] = round(range.median);
  out[`${prefix}_indexed_range_ms_p95`] = round(range.p95);
  out[`${prefix}_compartment_sorted_ms_median`] = round(sorted.median);
  out[`${prefix}_point_read_ms_median`] = round(byId.median);
  const scan = await timeEach(3, () => col.find({ unindexed: 'nothing' }).toArray());
  out[`${prefix}_unindexed_scan_ms_median`] = round(scan.median, 1);
}

async function benchWrites(dir: string, out: Row): Promise<void> {
  // Writes with the default durability (fsync before acknowledging, group commit).
  const server = await startEmbeddedMongo({ dataDir: dir });
  const client = await MongoClient.connect(server.uri);
  const w = client.db('bench').collection<Doc>('writes');
  out.insert_one_per_s_sequential_fsync = await rate(2000, 1, (i) => w.insertOne(fhirSizedDoc(i)));
  out.insert_one_per_s_16_concurrent_fsync = await rate(8000, 16, (i) => w.insertOne(fhirSizedDoc(10_000 + i)));
  out.update_one_per_s_16_concurrent_fsync = await rate(8000, 16, (i) => w.updateOne({ _id: `p${10_000 + i}` }, { $set: { vid: 2 } }));
  // A FHIR create as the repository does it: one transaction with a read and two inserts, fsynced at commit.
  const hist = client.db('bench').collection<Doc>('writes_history');
  out.create_transactions_per_s_16_concurrent_fsync = await rate(3000, 16, async (i) => {
    const session = client.startSession();
    try {
      await session.withTransaction(async () => {
        const doc = fhirSizedDoc(100_000 + i);
        await w.findOne({ _id: doc._id }, { session, projection: { _id: 1 } });
        await w.insertOne(doc, { session });
        await hist.insertOne({ ...doc, _id: `${doc._id}/1`, id: doc._id }, { session });
      });
    } finally {
      await session.endSession();
    }
  });
  // Warm the read path (JIT, connection pool) so the rates below measure steady state.
  await rate(2000, 16, (i) => w.findOne({ _id: `p${10_000 + (i % 8000)}` }));
  out.point_read_per_s_sequential = await rate(10_000, 1, (i) => w.findOne({ _id: `p${10_000 + (i % 8000)}` }));
  out.point_read_per_s_16_concurrent = await rate(20_000, 16, (i) => w.findOne({ _id: `p${10_000 + (i % 8000)}` }));
  await client.close();
  await server.stop();
}

const sizeLabel = (n: number) => (n >= 1_000_000 && n % 1_000_000 === 0 ? `${n / 1_000_000}m` : `${Math.round(n / 1000)}k`);

/** Memory, then start-up replay from the journal and from a snapshot, for `docs` FHIR-sized documents. */
async function benchStartup(dir: string, docs: number, out: Row): Promise<void> {
  const label = sizeLabel(docs);
  const before = heapMb();
  let server = await startEmbeddedMongo({ dataDir: dir, fsync: 'never' });
  const client = await MongoClient.connect(server.uri);
  await client.db('bench').collection('fhir').createIndexes(SEARCH_INDEXES);
  out[`insert_many_docs_per_s_fhir_${label}`] = await loadInBatches(client, 'fhir', docs, fhirSizedDoc);
  await client.close();
  out.memory_mb_per_100k_fhir_docs = round(((heapMb() - before) * 100_000) / docs, 0);
  await server.stop();
  // Wall time suffers from other load on a shared machine; CPU time of this process is reported alongside.
  const measure = async (from: string) => {
    const t = Date.now();
    const cpu = process.cpuUsage();
    server = await startEmbeddedMongo({ dataDir: dir });
    out[`startup_replay_ms_${label}_fhir_docs_${from}`] = Date.now() - t;
    out[`startup_replay_cpu_ms_${label}_fhir_docs_${from}`] = Math.round(process.cpuUsage(cpu).user / 1000);
  };
  // Compaction may have run during the load: start from whatever mix of snapshot and journal is there, then
  // compact and start from the snapshot alone.
  await measure('journal');
  await server.compact();
  out[`snapshot_mb_${label}_fhir_docs`] = round(
    fs
      .readdirSync(dir)
      .filter((f) => f.startsWith('snapshot-'))
      .reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0) /
      2 ** 20,
    0,
  );
  await server.stop();
  await measure('snapshot');
  await server.stop();
}

/** Query latency at each size of compact documents (in memory). */
async function benchQueries(sizes: number[], out: Row): Promise<void> {
  for (const size of sizes) {
    const mem = await startEmbeddedMongo();
    const c = await MongoClient.connect(mem.uri);
    await c.db('bench').collection('q').createIndexes(SEARCH_INDEXES);
    const label = sizeLabel(size);
    out[`insert_many_docs_per_s_${label}`] = await loadInBatches(c, 'q', size, smallDoc);
    await queryLatencies(c, 'q', size, out, label);
    await c.close();
    await mem.stop();
  }
}

export interface EngineBenchOptions {
  /** Stop the query runs at 100k documents. */
  quick?: boolean;
  /** Sections to run (default all): writes, startup, queries. */
  only?: string[];
  /** FHIR-sized documents for the memory and start-up section (default 100k). */
  startupDocs?: number;
}

export async function benchEngine(options: EngineBenchOptions = {}): Promise<Row> {
  const out: Row = {};
  const runs = (section: string) => !options.only || options.only.includes(section);
  const fresh = () => fs.mkdtempSync(path.join(os.tmpdir(), 'engine-bench-'));
  let dir = '';
  try {
    if (runs('writes')) await benchWrites((dir = fresh()), out);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    if (runs('startup')) await benchStartup((dir = fresh()), options.startupDocs ?? 100_000, out);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    if (runs('queries')) await benchQueries(options.quick ? [100_000] : [100_000, 1_000_000], out);
  } finally {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

if (require.main === module) {
  const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  benchEngine({ quick: process.argv.includes('--quick'), only: arg('only')?.split(','), startupDocs: arg('startup-docs') ? Number(arg('startup-docs')) : undefined })
    .then((r) => {
      for (const [k, v] of Object.entries(r)) process.stdout.write(`${k.padEnd(48)} ${v}\n`);
    })
    .catch((e) => {
      process.stderr.write(`${(e as Error).stack}\n`);
      process.exit(1);
    });
}
