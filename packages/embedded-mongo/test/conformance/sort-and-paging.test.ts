/** Sort, skip, limit, projection and cursor batching as MongoDB does them. */
import { Collection } from 'mongodb';
import { Harness, openHarness } from '../harness';

type AnyDoc = any;

describe('sort and paging conformance', () => {
  let h: Harness;
  let col: Collection<AnyDoc>;
  beforeAll(async () => {
    h = await openHarness();
    col = h.db.collection('sorting');
    await col.insertMany([
      { _id: 1, v: [3, 9], s: 'b', o: { k: 2 } },
      { _id: 2, v: 5, s: 'a', o: { k: 1 } },
      { _id: 3, v: [1, 7], s: 'B' },
      { _id: 4, s: 'c', v: null },
      { _id: 5, v: [], s: 'a' },
      { _id: 6, v: 'text', s: 'A' },
      { _id: 7, v: [{ x: 1 }, 4], s: 'a' },
      { _id: 8, v: [10, 2], s: 'd', e: [{ d: new Date('2020-01-01T00:00:00Z') }, { d: new Date('2023-01-01T00:00:00Z') }] },
      { _id: 9, v: 6, s: 'd', e: [{ d: new Date('2021-01-01T00:00:00Z') }] },
    ]);
  });
  afterAll(() => h.close());

  const order = async (sort: AnyDoc, filter: AnyDoc = {}) => (await col.find(filter).sort(sort).toArray()).map((d) => d._id);

  it('sorts arrays ascending by their smallest element, empty arrays first, missing as null', async () => {
    expect(await order({ v: 1, _id: 1 })).toEqual([5, 4, 3, 8, 1, 7, 2, 9, 6]);
  });

  it('sorts arrays descending by their largest element', async () => {
    expect(await order({ v: -1, _id: 1 })).toEqual([7, 6, 8, 1, 3, 9, 2, 4, 5]);
  });

  it('sorts descending on a dotted path into an array of documents by the largest value', async () => {
    expect(await order({ 'e.d': -1, _id: 1 }, { e: { $exists: true } })).toEqual([8, 9]);
    expect(await order({ 'e.d': 1, _id: 1 }, { e: { $exists: true } })).toEqual([8, 9]);
  });

  it('sorts strings by binary order (uppercase first) and breaks ties by the next key', async () => {
    expect(await order({ s: 1, _id: -1 })).toEqual([6, 3, 7, 5, 2, 1, 4, 9, 8]);
  });

  it('sorts embedded documents field by field, missing first', async () => {
    expect(await order({ o: 1, _id: 1 })).toEqual([3, 4, 5, 6, 7, 8, 9, 2, 1]);
  });

  it('applies skip and limit after sorting', async () => {
    expect((await col.find().sort({ _id: -1 }).skip(2).limit(3).toArray()).map((d) => d._id)).toEqual([7, 6, 5]);
  });

  it('projects inclusions with _id first, exclusions, and dotted paths into arrays', async () => {
    expect(await col.findOne({ _id: 1 }, { projection: { s: 1 } })).toEqual({ _id: 1, s: 'b' });
    expect(await col.findOne({ _id: 1 }, { projection: { s: 1, _id: 0 } })).toEqual({ s: 'b' });
    expect(await col.findOne({ _id: 2 }, { projection: { v: 0, o: 0 } })).toEqual({ _id: 2, s: 'a' });
    expect(await col.findOne({ _id: 8 }, { projection: { 'e.d': 1, _id: 0 } })).toEqual({
      e: [{ d: new Date('2020-01-01T00:00:00Z') }, { d: new Date('2023-01-01T00:00:00Z') }],
    });
  });

  it('streams a large result through getMore batches and closes cursors early with killCursors', async () => {
    const big = h.db.collection<AnyDoc>('big');
    await big.insertMany(Array.from({ length: 1234 }, (_, i) => ({ _id: i, pad: 'x'.repeat(100) })));
    const all = await big.find().sort({ _id: 1 }).batchSize(100).toArray();
    expect(all.map((d) => d._id)).toEqual(Array.from({ length: 1234 }, (_, i) => i));
    const killed: unknown[] = [];
    const listener = (e: { commandName: string; reply: AnyDoc }) => {
      if (e.commandName === 'killCursors') killed.push(...e.reply.cursorsKilled);
    };
    h.client.on('commandSucceeded', listener);
    const cursor = big.find().batchSize(10);
    await cursor.next();
    await cursor.close();
    h.client.off('commandSucceeded', listener);
    expect(killed).toHaveLength(1);
  });

  describe('a cursor paged while the collection changes', () => {
    it('returns, in index order and once each, every document present throughout; none deleted before its batch', async () => {
      const live = h.db.collection<AnyDoc>('paging_live');
      await live.createIndex({ k: 1 }, { name: 'k_1' });
      await live.insertMany(Array.from({ length: 2000 }, (_, i) => ({ _id: i, k: i * 10 })));
      const cursor = live
        .find({ k: { $gte: 0 } })
        .sort({ k: 1 })
        .batchSize(100);
      const seen: Array<number | string> = [];
      const deleted = new Set<number>();
      let batch = 0;
      for await (const d of cursor) {
        seen.push(d._id);
        if (seen.length % 100 !== 0) continue;
        batch++;
        // Between batches: thousands of new keys all over the index (splitting its nodes), and deletions ahead.
        await live.insertMany(Array.from({ length: 300 }, (_, i) => ({ _id: `new-${batch}-${i}`, k: i * 67 + 5 })));
        if (!seen.includes(1999 - batch)) {
          await live.deleteOne({ _id: 1999 - batch });
          deleted.add(1999 - batch);
        }
      }
      const old = seen.filter((id) => typeof id === 'number');
      expect(deleted.size).toBeGreaterThan(0);
      expect(new Set(seen).size).toBe(seen.length);
      expect(old).toEqual(Array.from({ length: 2000 }, (_, i) => i).filter((i) => !deleted.has(i)));
    });
  });
});
