/**
 * MongoDB takes an `_id` of any length (up to the document's 16 MB), and so must the engine, whose store limits a
 * key to 1978 bytes: long ids are stored under a prefix and a hash (src/engine/collection.ts).
 */
import { Collection } from 'mongodb';
import { Harness, openHarness } from '../harness';

type AnyDoc = any;

describe('documents with long _id values', () => {
  let h: Harness;
  let col: Collection<AnyDoc>;
  // Equal for their first 3,000 characters, beyond the store's key limit, so only their tails tell them apart.
  const base = 'p'.repeat(3_000);
  const ids = [`${base}-b`, `${base}-a`, `${base}-c`, 'short'];

  beforeAll(async () => {
    h = await openHarness();
    col = h.db.collection('long_ids');
    await col.createIndex({ tag: 1 });
    for (const [i, _id] of ids.entries()) await col.insertOne({ _id, tag: i % 2, n: i });
  });
  afterAll(() => h.close());

  it('stores and finds each one by its whole id', async () => {
    for (const [i, _id] of ids.entries()) expect(await col.findOne({ _id })).toEqual({ _id, tag: i % 2, n: i });
    expect(await col.findOne({ _id: `${base}-d` })).toBeNull();
    expect(await col.countDocuments({})).toBe(4);
  });

  it('refuses a second document with the same long id', async () => {
    await expect(col.insertOne({ _id: `${base}-a` })).rejects.toMatchObject({ code: 11000 });
  });

  it('sorts and ranges over long ids in _id order, as MongoDB does', async () => {
    expect((await col.find({}, { sort: { _id: 1 } }).toArray()).map((d) => d._id)).toEqual([`${base}-a`, `${base}-b`, `${base}-c`, 'short']);
    expect((await col.find({ _id: { $gt: `${base}-a`, $lt: 'short' } }).toArray()).map((d) => d._id).sort()).toEqual([`${base}-b`, `${base}-c`]);
    expect((await col.find({ tag: 1 }).toArray()).map((d) => d.n).sort()).toEqual([1, 3]);
  });

  it('updates, replaces and deletes them', async () => {
    await col.updateOne({ _id: `${base}-b` }, { $set: { n: 10 } });
    await col.replaceOne({ _id: `${base}-c` }, { tag: 5 });
    await col.deleteOne({ _id: `${base}-a` });
    expect(await col.findOne({ _id: `${base}-b` })).toMatchObject({ n: 10 });
    expect(await col.findOne({ _id: `${base}-c` })).toEqual({ _id: `${base}-c`, tag: 5 });
    expect(await col.findOne({ _id: `${base}-a` })).toBeNull();
    expect(await col.countDocuments({})).toBe(3);
  });

  it('returns long values of a secondary index in order, forwards and backwards', async () => {
    const values = ['c', 'a', 'd', 'b'].map((tail) => `${base}${tail}`);
    await col.insertMany(values.map((v, i) => ({ _id: `v${i}`, long: v })));
    await col.createIndex({ long: 1 });
    const sorted = [...values].sort();
    expect(
      (
        await col
          .find({ long: { $exists: true } }, { sort: { long: 1 } })
          .hint({ long: 1 })
          .toArray()
      ).map((d) => d.long),
    ).toEqual(sorted);
    expect(
      (
        await col
          .find({ long: { $exists: true } }, { sort: { long: -1 } })
          .hint({ long: 1 })
          .toArray()
      ).map((d) => d.long),
    ).toEqual([...sorted].reverse());
    expect(
      (
        await col
          .find({ long: { $gt: values[1], $lte: values[2] } })
          .hint({ long: 1 })
          .toArray()
      ).map((d) => d.long),
    ).toEqual([`${base}b`, `${base}c`, `${base}d`]);
    await col.deleteMany({ long: { $exists: true } });
  });

  it('builds a new index over documents with long ids', async () => {
    await col.createIndex({ n: 1 });
    expect(
      (
        await col
          .find({ n: { $gte: 3 } })
          .hint({ n: 1 })
          .toArray()
      ).map((d) => d._id),
    ).toEqual(['short', `${base}-b`]);
  });
});
