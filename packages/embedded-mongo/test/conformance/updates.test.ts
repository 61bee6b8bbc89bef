/** Update, upsert, replace, findAndModify and delete semantics through the driver. */
import { Collection, Long, MongoServerError } from 'mongodb';
import { Harness, openHarness } from '../harness';

type AnyDoc = any;

describe('update conformance', () => {
  let h: Harness;
  let col: Collection<AnyDoc>;
  beforeAll(async () => {
    h = await openHarness();
  });
  afterAll(() => h.close());
  beforeEach(async () => {
    col = h.db.collection(`u${Math.random().toString(36).slice(2)}`);
    await col.insertMany([
      {
        _id: 1,
        n: 1,
        tags: ['a'],
        items: [
          { k: 'x', q: 1 },
          { k: 'y', q: 2 },
        ],
        o: { p: 1 },
      },
      { _id: 2, n: 2, tags: [], items: [] },
    ]);
  });

  it('applies $set/$unset/$inc/$push/$addToSet/$pull and reports matched and modified counts', async () => {
    const r = await col.updateOne({ _id: 1 }, {
      $set: { 'o.q': 2, s: 'v' },
      $unset: { 'o.p': '' },
      $inc: { n: 5 },
      $push: { tags: 'b' },
      $addToSet: { items: { k: 'z', q: 3 } },
    } as AnyDoc);
    expect(r).toMatchObject({ matchedCount: 1, modifiedCount: 1 });
    expect(await col.findOne({ _id: 1 })).toEqual({
      _id: 1,
      n: 6,
      tags: ['a', 'b'],
      items: [
        { k: 'x', q: 1 },
        { k: 'y', q: 2 },
        { k: 'z', q: 3 },
      ],
      o: { q: 2 },
      s: 'v',
    });
    await col.updateOne({ _id: 1 }, { $pull: { items: { q: { $gte: 2 } } } } as AnyDoc);
    expect((await col.findOne({ _id: 1 }))?.items).toEqual([{ k: 'x', q: 1 }]);
  });

  it('counts a no-op update as matched but not modified', async () => {
    expect(await col.updateOne({ _id: 1 }, { $set: { n: 1 } })).toMatchObject({ matchedCount: 1, modifiedCount: 0 });
  });

  it('updates many and leaves non-matching documents alone', async () => {
    expect(await col.updateMany({ n: { $gte: 1 } }, { $set: { seen: true } })).toMatchObject({ matchedCount: 2, modifiedCount: 2 });
    expect(await col.countDocuments({ seen: true })).toBe(2);
  });

  it('updates array elements through arrayFilters and the all-positional operator', async () => {
    await col.updateOne({ _id: 1 }, { $set: { 'items.$[it].q': 10 } }, { arrayFilters: [{ 'it.k': 'y' }] });
    await col.updateOne({ _id: 1 }, { $inc: { 'items.$[].q': 1 } });
    expect((await col.findOne({ _id: 1 }))?.items).toEqual([
      { k: 'x', q: 2 },
      { k: 'y', q: 11 },
    ]);
  });

  it('upserts from the equality fields of the filter, with $setOnInsert only on insert', async () => {
    const r = await col.updateOne({ key: 'k1', 'm.n': 3, r: { $gt: 1 } }, { $set: { v: 1 }, $setOnInsert: { created: true } }, { upsert: true });
    expect(r.upsertedCount).toBe(1);
    const doc = await col.findOne({ _id: r.upsertedId! });
    expect(doc).toMatchObject({ key: 'k1', m: { n: 3 }, v: 1, created: true });
    expect(doc?.r).toBeUndefined();
    await col.updateOne({ key: 'k1' }, { $set: { v: 2 }, $setOnInsert: { created: false } }, { upsert: true });
    expect(await col.findOne({ key: 'k1' })).toMatchObject({ v: 2, created: true });
  });

  it('replaces a document keeping its _id, and upserts a replacement with the filter _id', async () => {
    await col.replaceOne({ _id: 2 }, { whole: 'new' });
    expect(await col.findOne({ _id: 2 })).toEqual({ _id: 2, whole: 'new' });
    const r = await col.replaceOne({ _id: 'fresh' }, { x: 1 }, { upsert: true });
    expect(r.upsertedId).toBe('fresh');
    expect(await col.findOne({ _id: 'fresh' })).toEqual({ _id: 'fresh', x: 1 });
  });

  it('refuses to change _id (66) and rejects unknown modifiers and conflicting paths', async () => {
    const e1 = await col.updateOne({ _id: 1 }, { $set: { _id: 9 } }).catch((e: MongoServerError) => e);
    expect((e1 as MongoServerError).code).toBe(66);
    const e2 = await col.updateOne({ _id: 1 }, { $frobnicate: { n: 1 } } as AnyDoc).catch((e: MongoServerError) => e);
    expect((e2 as MongoServerError).code).toBe(9);
    const e3 = await col.updateOne({ _id: 1 }, { $set: { n: 1 }, $inc: { n: 1 } }).catch((e: MongoServerError) => e);
    expect((e3 as MongoServerError).code).toBe(40);
  });

  it('returns the document before or after with findOneAndUpdate, honouring sort and projection', async () => {
    const before = await col.findOneAndUpdate({}, { $inc: { n: 100 } }, { sort: { n: -1 }, projection: { n: 1 } });
    expect(before).toEqual({ _id: 2, n: 2 });
    const after = await col.findOneAndUpdate({ _id: 1 }, { $inc: { n: 1 } }, { returnDocument: 'after', projection: { n: 1, _id: 0 } });
    expect(after).toEqual({ n: 2 });
    const upserted = await col.findOneAndUpdate({ _id: 3 }, { $set: { n: 3 } }, { upsert: true, returnDocument: 'after' });
    expect(upserted).toEqual({ _id: 3, n: 3 });
    expect(await col.findOneAndUpdate({ _id: 404 }, { $set: { n: 1 } })).toBeNull();
  });

  it('deletes one, many, and finds-and-deletes', async () => {
    await col.insertMany([
      { _id: 10, g: 1 },
      { _id: 11, g: 1 },
      { _id: 12, g: 1 },
    ]);
    expect((await col.deleteOne({ g: 1 })).deletedCount).toBe(1);
    expect(await col.findOneAndDelete({ g: 1 }, { sort: { _id: -1 } })).toEqual({ _id: 12, g: 1 });
    expect((await col.deleteMany({})).deletedCount).toBe(3);
  });

  it('reports duplicate keys per statement in unordered bulk writes and stops ordered ones at the first', async () => {
    const unordered = await col.insertMany([{ _id: 1 }, { _id: 20 }, { _id: 2 }, { _id: 21 }], { ordered: false }).catch((e: MongoServerError) => e);
    expect((unordered as AnyDoc).writeErrors.map((w: AnyDoc) => [w.index, w.code])).toEqual([
      [0, 11000],
      [2, 11000],
    ]);
    expect(await col.countDocuments({ _id: { $in: [20, 21] } })).toBe(2);
    const ordered = await col.insertMany([{ _id: 30 }, { _id: 1 }, { _id: 31 }]).catch((e: MongoServerError) => e);
    expect((ordered as AnyDoc).code).toBe(11000);
    expect(await col.countDocuments({ _id: { $in: [30, 31] } })).toBe(1);
  });

  it('enforces unique compound, sparse and partial indexes as MongoDB does', async () => {
    const u = h.db.collection<AnyDoc>(`uniq${Math.random().toString(36).slice(2)}`);
    await u.createIndex({ a: 1, b: 1 }, { unique: true });
    await u.createIndex({ s: 1 }, { unique: true, sparse: true });
    await u.createIndex({ p: 1 }, { unique: true, partialFilterExpression: { live: true } });
    // Missing fields index as null: every document needs its own (a, b) pair, or they would collide on (null, null).
    await u.insertMany([
      { a: 1, b: 1 },
      { a: 1, b: 2 },
      { a: 2, x: 1 },
      { a: 3, x: 2 },
      { a: 4, p: 1, live: false },
      { a: 5, p: 1, live: true },
    ]);
    const dup = await u.insertOne({ a: 1, b: 2 }).catch((e: MongoServerError) => e);
    expect(dup).toMatchObject({ code: 11000, keyPattern: { a: 1, b: 1 }, keyValue: { a: 1, b: 2 } });
    await expect(u.insertOne({ a: 6, p: 1, live: true })).rejects.toMatchObject({ code: 11000 });
    await expect(u.insertOne({ a: 7, s: 'q' })).resolves.toBeTruthy();
    await expect(u.insertOne({ a: 8, s: 'q' })).rejects.toMatchObject({ code: 11000 });
    await expect(u.updateOne({ a: 1, b: 1 }, { $set: { b: 2 } })).rejects.toMatchObject({ code: 11000 });
    // Creating a unique index over existing duplicates fails and leaves no index behind.
    await expect(u.createIndex({ x: 1, live: 1 }, { unique: true, name: 'dups' })).rejects.toMatchObject({ code: 11000 });
    expect((await u.indexes()).map((i) => i.name)).not.toContain('dups');
  });

  it('supports $push modifiers, $pop, $min/$max, $mul, $rename and $currentDate', async () => {
    await col.updateOne({ _id: 2 }, { $push: { tags: { $each: ['c', 'a', 'b'], $sort: 1, $slice: 2 } }, $min: { n: 1 }, $max: { hi: 7 } } as AnyDoc);
    await col.updateOne({ _id: 2 }, { $mul: { hi: 3 }, $rename: { n: 'count' }, $currentDate: { at: true }, $pop: { tags: -1 } } as AnyDoc);
    const doc = await col.findOne({ _id: 2 });
    expect(doc).toMatchObject({ tags: ['b'], count: 1, hi: 21 });
    expect(doc?.n).toBeUndefined();
    expect(doc?.at).toBeInstanceOf(Date);
  });

  it('does 64-bit integer arithmetic exactly in $inc, $mul and $bit, and refuses an overflow', async () => {
    const raw = { promoteLongs: false } as const;
    const big = async () => ((await col.findOne({ _id: 3 }, raw)) as AnyDoc).big;
    await col.insertOne({ _id: 3, big: Long.fromString('9007199254740993'), o: {} });
    await expect(col.updateOne({ _id: 3 }, { $inc: { big: 10 } })).resolves.toMatchObject({ modifiedCount: 1 });
    expect(await big()).toEqual(Long.fromString('9007199254741003'));
    await col.updateOne({ _id: 3 }, { $mul: { big: 2 } });
    expect(await big()).toEqual(Long.fromString('18014398509482006'));
    await col.updateOne({ _id: 3 }, { $bit: { big: { and: 255 } } });
    expect(await big()).toEqual(Long.fromNumber(22));
    await col.updateOne({ _id: 3 }, { $set: { big: Long.MAX_VALUE } });
    await expect(col.updateOne({ _id: 3 }, { $inc: { big: 1 } })).rejects.toMatchObject({ code: 2 });
    expect(await big()).toEqual(Long.MAX_VALUE);
    // A fractional operand makes a double; a Long operand on a missing field is stored as it is.
    await col.updateOne({ _id: 3 }, { $inc: { big: 0.5, 'o.n': Long.fromString('9007199254740995') } });
    const doc = (await col.findOne({ _id: 3 }, raw)) as AnyDoc;
    expect(doc.big).toBe(Number(Long.MAX_VALUE.toBigInt()) + 0.5);
    expect(doc.o.n).toEqual(Long.fromString('9007199254740995'));
  });

  it('runs pipeline-style updates', async () => {
    await col.updateOne({ _id: 1 }, [{ $set: { twice: { $multiply: ['$n', 2] } } }, { $unset: 'o' }]);
    expect(await col.findOne({ _id: 1 }, { projection: { twice: 1, o: 1 } })).toEqual({ _id: 1, twice: 2 });
  });
});
