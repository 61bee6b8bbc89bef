import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { open } from 'lmdb';
import { describeEmbeddedOnly } from '../harness';
import { withServer } from './with-server';

type Patient = { _id: string; family: string; text: string; v?: number };

/** A document of about 2 KB, as FHIR resources are. */
const patient = (i: number): Patient => ({ _id: `p${i}`, family: `Family${i % 3}`, text: `Patient ${i} `.repeat(180) });

const DBS = ['docs', 'entries', 'natural', 'catalog'];

/** The page size of the store in `dir` and the stored bytes of its documents. */
function storedForm(dir: string): { pageSize: number; values: Buffer[] } {
  const env = open({ path: path.join(dir, 'store'), maxDbs: 8, readOnly: true });
  try {
    const docs = env.openDB({ name: 'docs', encoding: 'binary', keyEncoding: 'binary' });
    return { pageSize: (env.getStats() as { pageSize: number }).pageSize, values: [...docs.getRange({})].map((e) => Buffer.from(e.value)) };
  } finally {
    void env.close();
  }
}

/** Rewrites the store of `from` into `to` as the engine made stores before: 4 KB pages, every database copied byte for byte. */
async function writeOlderStore(from: string, to: string): Promise<void> {
  const source = open({ path: path.join(from, 'store'), maxDbs: 8, readOnly: true });
  fs.mkdirSync(path.join(to, 'store'), { recursive: true, mode: 0o700 });
  const target = open({ path: path.join(to, 'store'), maxDbs: 8, pageSize: 4096 });
  for (const name of DBS) {
    const read = source.openDB({ name, encoding: 'binary', keyEncoding: 'binary' });
    const write = target.openDB({ name, encoding: 'binary', keyEncoding: 'binary' });
    await target.transaction(() => {
      for (const { key, value } of read.getRange({})) void write.put(key, Buffer.from(value));
    });
  }
  await source.close();
  await target.close();
  for (const f of ['data.mdb', 'lock.mdb']) fs.chmodSync(path.join(to, 'store', f), 0o600);
}

describeEmbeddedOnly('the store format', () => {
  let root: string;
  beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), 'emb-format-'))));
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const newStore = () => fs.mkdtempSync(path.join(root, 'data-'));

  it('makes a new store of 8 KB pages, each document stored as its record number and BSON', async () => {
    const dir = newStore();
    await withServer(dir, async (client) => {
      await client
        .db('t')
        .collection<Patient>('c')
        .insertMany([patient(1), patient(2)]);
    });
    const { pageSize, values } = storedForm(dir);
    expect(pageSize).toBe(8192);
    expect(values.map((v) => v.includes(Buffer.from('Patient 1 Patient 1')))).toEqual([true, false]);
    await withServer(dir, async (client) => {
      expect(await client.db('t').collection<Patient>('c').findOne({ _id: 'p2' })).toEqual(patient(2));
    });
  });

  it('opens a store of 4 KB pages, as made before: reads, searches and writes it, and it keeps its page size', async () => {
    const made = newStore();
    await withServer(made, async (client) => {
      const c = client.db('t').collection<Patient>('c');
      await c.createIndex({ family: 1 });
      await c.insertMany(Array.from({ length: 30 }, (_, i) => patient(i)));
    });
    const older = newStore();
    await writeOlderStore(made, older);
    const before = storedForm(older);
    expect(before.pageSize).toBe(4096);
    expect(before.values).toHaveLength(30);

    await withServer(older, async (client) => {
      const c = client.db('t').collection<Patient>('c');
      expect(await c.find().sort({ _id: 1 }).toArray()).toEqual(Array.from({ length: 30 }, (_, i) => patient(i)).sort((a, b) => (a._id < b._id ? -1 : 1)));
      expect((await c.find({ family: 'Family1' }).toArray()).map((d) => d._id).sort()).toEqual(['p1', 'p10', 'p13', 'p16', 'p19', 'p22', 'p25', 'p28', 'p4', 'p7']);
      await c.insertOne(patient(30));
      await c.replaceOne({ _id: 'p3' }, { ...patient(3), v: 2 });
      await c.deleteOne({ _id: 'p4' });
    });
    await withServer(older, async (client) => {
      const c = client.db('t').collection<Patient>('c');
      expect(await c.countDocuments()).toBe(30);
      expect(await c.findOne({ _id: 'p30' })).toEqual(patient(30));
      expect(await c.findOne({ _id: 'p3' })).toEqual({ ...patient(3), v: 2 });
      expect(await c.findOne({ _id: 'p5' })).toEqual(patient(5));
      expect((await c.find({ family: 'Family1' }).toArray()).map((d) => d._id).sort()).toEqual(['p1', 'p10', 'p13', 'p16', 'p19', 'p22', 'p25', 'p28', 'p7']);
    });
    expect(storedForm(older).pageSize).toBe(4096);
  });
});
