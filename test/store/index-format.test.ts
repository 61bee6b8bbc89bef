import { randomUUID } from 'node:crypto';
import type { Encounter, Patient, Resource } from 'fhir/r4';
import { MongoClient, type Db } from 'mongodb';
import { startEmbeddedMongo, type EmbeddedMongo } from '@fhirstone/embedded-mongo';
import { SEARCH_INDEX_FORMAT, SearchContext, buildSearchIndex, searchIndexSpecs } from '../../src/search';
import { META_COLLECTION, type IndexFormat } from '../../src/store/index-format';
import { Store } from '../../src/store/store';

// MongoDB when MONGODB_URI is set (a database of its own per test), the embedded engine otherwise.
let engine: EmbeddedMongo | undefined;
let uri: string;
let client: MongoClient;
let dbName: string;
let db: Db;

beforeAll(async () => {
  if (process.env.MONGODB_URI) uri = process.env.MONGODB_URI;
  else {
    engine = await startEmbeddedMongo({});
    uri = engine.uri;
  }
  client = await new MongoClient(uri).connect();
});
afterAll(async () => {
  await client.close();
  await engine?.stop();
});
beforeEach(() => {
  dbName = `index_format_${randomUUID().slice(0, 8)}`;
  db = client.db(dbName);
});
afterEach(() => db.dropDatabase());

const search = new SearchContext();
const index = (resource: Resource) => buildSearchIndex(search, resource);
const format = (events: unknown[] = []): IndexFormat => ({
  ...SEARCH_INDEX_FORMAT,
  index,
  onProgress: (e) => events.push(e),
});
const connect = (f: IndexFormat | undefined = format()) => Store.connect({ uri, dbName, searchIndexSpecs: (type) => searchIndexSpecs(search, type), indexFormat: f });

const encounter: Encounter = {
  resourceType: 'Encounter',
  id: 'e1',
  status: 'finished',
  class: { code: 'AMB' },
  period: { start: '2024-03-01T10:00:00Z', end: '2024-03-01T11:00:00Z' },
  subject: { reference: 'Patient/p1' },
};
const patient: Patient = { resourceType: 'Patient', id: 'p1', gender: 'female', birthDate: '1980-05-01' };

/** What a store written by format 1 holds: every entry in `s.e`, the two range indexes over it, no format record. */
async function writeFormat1(resource: Resource): Promise<void> {
  const { s, c } = index(resource);
  const coll = db.collection(resource.resourceType);
  await coll.createIndexes([
    { key: { 's.e.p': 1, 's.e.lo': 1, 's.e.hi': 1 }, name: 'search_range' },
    { key: { 's.e.p': 1, 's.e.hi': 1 }, name: 'search_high' },
  ]);
  await coll.insertOne({ _id: resource.id as never, vid: 1, lu: new Date(), del: false, r: JSON.stringify(resource), s: { e: [...s.e, ...(s.r ?? [])], o: s.o }, c });
}

describe('search index format of stored data', () => {
  it('re-indexes a store written before range entries moved to s.r, and drops the old range indexes', async () => {
    await writeFormat1(encounter);
    await writeFormat1(patient);
    const events: Array<{ type: string; done: number; finished: boolean }> = [];
    const store = await connect(format(events));
    try {
      const stored = await db.collection('Encounter').findOne({ _id: 'e1' as never });
      expect(stored?.s.r.map((e: { p: string }) => e.p)).toEqual(['date']);
      expect(stored?.s.e.some((e: { lo?: unknown }) => e.lo !== undefined)).toBe(false);
      // The date is found the way the search layer now asks for it.
      const hit = await db.collection('Encounter').findOne({ 's.r': { $elemMatch: { p: 'date', lo: { $lte: new Date('2024-03-01T10:30:00Z') } } } });
      expect(hit?._id).toBe('e1');
      const names = (await db.collection('Encounter').indexes()).map((i) => i.name);
      expect(names).toEqual(expect.arrayContaining(['range_bounds', 'range_high']));
      expect(names).not.toContain('search_range');
      expect(names).not.toContain('search_high');
      expect(await db.collection(META_COLLECTION).findOne({})).toMatchObject({ version: SEARCH_INDEX_FORMAT.version });
      expect(
        events
          .filter((e) => e.finished)
          .map((e) => [e.type, e.done])
          .sort(),
      ).toEqual([
        ['Encounter', 1],
        ['Patient', 1],
      ]);
    } finally {
      await store.close();
    }
  });

  it('re-indexes a store of format 3, whose code entries carry no implied system', async () => {
    const { s, c } = index(patient);
    const unsystemed = s.e.map((e) => (e.p === 'gender' ? { p: e.p, v: e.v } : e));
    await db.collection('Patient').insertOne({ _id: 'p1' as never, vid: 1, lu: new Date(), del: false, r: JSON.stringify(patient), s: { ...s, e: unsystemed }, c });
    await db.collection(META_COLLECTION).insertOne({ _id: 'search-index-format' as never, version: 3 });
    const store = await connect();
    try {
      const stored = await db.collection('Patient').findOne({ _id: 'p1' as never });
      expect(stored?.s.e.find((e: { p: string }) => e.p === 'gender')).toEqual({ p: 'gender', v: 'female', sy: 'http://hl7.org/fhir/administrative-gender' });
    } finally {
      await store.close();
    }
  });

  it('records the format of a new store without re-indexing anything', async () => {
    const events: unknown[] = [];
    const store = await connect(format(events));
    await store.close();
    expect(await db.collection(META_COLLECTION).findOne({})).toMatchObject({ version: SEARCH_INDEX_FORMAT.version });
    expect(events).toEqual([]);
  });

  it('does not re-index again once the current format is recorded', async () => {
    await (await connect()).close();
    await writeFormat1(encounter); // written as if by this version, but laid out the old way: left as it is
    const events: unknown[] = [];
    await (await connect(format(events))).close();
    expect(events).toEqual([]);
    expect((await db.collection('Encounter').findOne({}))?.s.r).toBeUndefined();
  });

  it('refuses a store indexed by a newer format', async () => {
    await db.collection(META_COLLECTION).insertOne({ _id: 'search-index-format' as never, version: SEARCH_INDEX_FORMAT.version + 1 });
    await expect(connect()).rejects.toThrow(/newer than this server's/);
  });
});
