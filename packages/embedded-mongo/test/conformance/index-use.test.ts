/**
 * Which index a query uses, read from explain() exactly as against a real mongod. Covers the shapes the FHIR
 * search layer generates: `$elemMatch` over an array of entries with a compound multikey index, ranges, prefix
 * regexes, `$in`, `$or`, and sorts served by an index.
 */
import { Collection } from 'mongodb';
import { Harness, hasBlockingSort, indexesUsed, openHarness, usesCollScan } from '../harness';

type AnyDoc = any;

describe('index use (explain)', () => {
  let h: Harness;
  let col: Collection<AnyDoc>;
  beforeAll(async () => {
    h = await openHarness();
    col = h.db.collection('ix');
    await col.createIndexes([
      { key: { 's.e.p': 1, 's.e.v': 1, 's.e.sy': 1 }, name: 'search_value' },
      { key: { 's.e.p': 1, 's.e.lo': 1, 's.e.hi': 1 }, name: 'search_range' },
      { key: { 's.e.p': 1, 's.e.hi': 1 }, name: 'search_high' },
      { key: { lu: -1, _id: 1 }, name: 'lastUpdated_desc' },
      { key: { c: 1, _id: 1 }, name: 'compartment' },
      { key: { code: 1 }, name: 'code_sparse', sparse: true },
    ]);
    const docs = Array.from({ length: 300 }, (_, i) => ({
      _id: `id${String(i).padStart(4, '0')}`,
      lu: new Date(Date.UTC(2020, 0, 1) + i * 86_400_000),
      c: [`Patient/${i % 10}`],
      code: i % 2 === 0 ? `c${i % 7}` : undefined,
      s: {
        e: [
          { p: 'name', v: `smith${i % 5}` },
          { p: 'gender', v: i % 2 ? 'male' : 'female', sy: 'http://hl7.org/fhir/administrative-gender' },
          { p: 'birthdate', lo: new Date(Date.UTC(1950 + (i % 50), 0, 1)), hi: new Date(Date.UTC(1950 + (i % 50), 0, 1, 23, 59, 59, 999)) },
        ],
      },
    }));
    await col.insertMany(docs);
  });
  afterAll(() => h.close());

  it('serves $elemMatch equality on entry code and value from the compound multikey index', async () => {
    const q = { 's.e': { $elemMatch: { p: 'gender', v: 'female' } } };
    const plan = await col.find(q).explain();
    expect(indexesUsed(plan)).toEqual(['search_value']);
    expect(await col.countDocuments(q)).toBe(150);
  });

  it('serves an $elemMatch range on the second key of a compound multikey index', async () => {
    const q = { 's.e': { $elemMatch: { p: 'birthdate', lo: { $gte: new Date('1990-01-01T00:00:00Z'), $lt: new Date('1995-01-01T00:00:00Z') } } } };
    expect(indexesUsed(await col.find(q).explain())).toEqual(['search_range']);
    expect(await col.countDocuments(q)).toBe(30);
  });

  describe('date periods (search_range over p, lo, hi)', () => {
    let periods: Collection<AnyDoc>;
    const day = 86_400_000;
    const start = Date.UTC(2000, 0, 1);
    beforeAll(async () => {
      periods = h.db.collection('ix_periods');
      await periods.createIndexes([
        { key: { 's.e.p': 1, 's.e.lo': 1, 's.e.hi': 1 }, name: 'search_range' },
        { key: { 's.e.p': 1, 's.e.hi': 1 }, name: 'search_high' },
      ]);
      // 3,000 ten-day periods, one starting each day, plus a code entry each.
      await periods.insertMany(
        Array.from({ length: 3000 }, (_, i) => ({
          _id: i,
          s: {
            e: [
              { p: 'code', v: `c${i % 3}` },
              { p: 'date', lo: new Date(start + i * day), hi: new Date(start + (i + 10) * day - 1) },
            ],
          },
        })),
      );
    });
    const overlapping = (from: number, to: number, order: 'lo-first' | 'hi-first') => {
      const lo = { $lte: new Date(start + to * day) };
      const hi = { $gte: new Date(start + from * day) };
      return { 's.e': { $elemMatch: order === 'lo-first' ? { p: 'date', lo, hi } : { p: 'date', hi, lo } } };
    };

    it('filters index keys on every bounded field before fetching: only overlapping periods are examined', async () => {
      const q = overlapping(1500, 1502, 'lo-first');
      const stats = (await periods.find(q).hint('search_range').explain('executionStats')).executionStats;
      expect(stats.nReturned).toBe(12);
      expect(stats.totalDocsExamined).toBe(12);
    });

    it('chooses the plan whatever the order of the criteria, and fetches only matches', async () => {
      for (const order of ['lo-first', 'hi-first'] as const) {
        const q = overlapping(1500, 1502, order);
        const stats = (await periods.find(q).explain('executionStats')).executionStats;
        expect([order, stats.nReturned, stats.totalDocsExamined]).toEqual([order, 12, 12]);
        expect((await periods.find(q).toArray()).map((d) => d._id).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => 1491 + i));
      }
    });

    it('picks the index whose bounds select fewer keys', async () => {
      // Periods overlapping the last days: search_range's lo bound admits every key and only its key filter narrows
      // them, while search_high's hi bound reads the 10 matching keys alone.
      const q = overlapping(2999, 3000, 'lo-first');
      const plan = await periods.find(q).explain('executionStats');
      expect(indexesUsed(plan)).toEqual(['search_high']);
      expect(plan.executionStats.nReturned).toBe(10);
    });
  });

  it('uses the index for $in values and for prefix-anchored regexes', async () => {
    const inQ = { 's.e': { $elemMatch: { p: 'name', v: { $in: ['smith1', 'smith3'] } } } };
    expect(indexesUsed(await col.find(inQ).explain())).toEqual(['search_value']);
    expect(await col.countDocuments(inQ)).toBe(120);
    const reQ = { 's.e': { $elemMatch: { p: 'name', v: { $regex: '^smith4' } } } };
    expect(indexesUsed(await col.find(reQ).explain())).toEqual(['search_value']);
    expect(await col.countDocuments(reQ)).toBe(60);
  });

  it('unions index scans for a top-level $or whose branches are all indexed', async () => {
    const q = { $or: [{ 's.e': { $elemMatch: { p: 'name', v: 'smith0' } } }, { c: 'Patient/3' }] };
    const plan = await col.find(q).explain();
    expect(indexesUsed(plan).sort()).toEqual(['compartment', 'search_value']);
    expect(await col.countDocuments(q)).toBe(60 + 30 - 0);
  });

  it('serves a sort from an index without a blocking SORT stage, in both directions', async () => {
    const desc = await col.find({}).sort({ lu: -1, _id: 1 }).limit(5).explain();
    expect(indexesUsed(desc)).toEqual(['lastUpdated_desc']);
    expect(hasBlockingSort(desc)).toBe(false);
    const asc = await col.find({}).sort({ lu: 1, _id: -1 }).limit(5).explain();
    expect(indexesUsed(asc)).toEqual(['lastUpdated_desc']);
    expect(hasBlockingSort(asc)).toBe(false);
    expect((await col.find({}).sort({ lu: -1, _id: 1 }).limit(2).toArray()).map((d) => d._id)).toEqual(['id0299', 'id0298']);
  });

  it('serves equality plus sort on the following key of a compound index', async () => {
    const plan = await col.find({ c: 'Patient/4' }).sort({ _id: -1 }).explain();
    expect(indexesUsed(plan)).toEqual(['compartment']);
    expect(hasBlockingSort(plan)).toBe(false);
    expect((await col.find({ c: 'Patient/4' }).sort({ _id: -1 }).limit(2).toArray()).map((d) => d._id)).toEqual(['id0294', 'id0284']);
  });

  it('adds a SORT stage when the index cannot give the order', async () => {
    const plan = await col.find({ c: 'Patient/4' }).sort({ lu: 1 }).explain();
    expect(hasBlockingSort(plan)).toBe(true);
  });

  it('falls back to a collection scan for unindexed fields and for conditions that can match missing values', async () => {
    expect(usesCollScan(await col.find({ unindexed: 1 }).explain())).toBe(true);
    // A sparse index lacks documents without the field, so it cannot answer a null query.
    expect(indexesUsed(await col.find({ code: null }).explain())).not.toContain('code_sparse');
    expect(indexesUsed(await col.find({ code: 'c3' }).explain())).toEqual(['code_sparse']);
  });

  it('does not compound bounds of two fields from different array elements without $elemMatch', async () => {
    // p=gender and v=smith1 live in different entries of one document: such a document must still be found.
    const q = { 's.e.p': 'gender', 's.e.v': 'smith1' };
    expect(await col.countDocuments(q)).toBe(60);
  });

  it('uses an index for count and aggregate $match', async () => {
    const q = { 's.e': { $elemMatch: { p: 'gender', v: 'male' } } };
    const agg = await col.aggregate([{ $match: q }, { $group: { _id: null, n: { $sum: 1 } } }]).explain();
    expect(indexesUsed(agg)).toEqual(['search_value']);
  });

  it('walks a sort-ordered index with a small limit rather than sorting thousands of equality matches', async () => {
    const many = h.db.collection<AnyDoc>('ix_many');
    await many.createIndexes([
      { key: { g: 1 }, name: 'g_1' },
      { key: { lu: -1, _id: 1 }, name: 'lu_desc' },
    ]);
    await many.insertMany(Array.from({ length: 5000 }, (_, i) => ({ _id: i, g: i % 2 ? 'm' : 'f', lu: new Date(Date.UTC(2020, 0, 1) + i * 60_000) })));
    const plan = await many.find({ g: 'f' }).sort({ lu: -1, _id: 1 }).limit(5).explain();
    expect(indexesUsed(plan)).toEqual(['lu_desc']);
    expect(hasBlockingSort(plan)).toBe(false);
    expect((await many.find({ g: 'f' }).sort({ lu: -1, _id: 1 }).limit(3).toArray()).map((d) => d._id)).toEqual([4998, 4996, 4994]);
    // A selective equality still wins over the sort index.
    await many.insertOne({ _id: 'rare', g: 'x', lu: new Date() });
    expect(indexesUsed(await many.find({ g: 'x' }).sort({ lu: -1, _id: 1 }).limit(5).explain())).toEqual(['g_1']);
  });

  it('keeps index entries exact when a replacement changes some keys and keeps others', async () => {
    const c = h.db.collection<AnyDoc>('ix_replace');
    await c.createIndexes([{ key: { 's.e.p': 1, 's.e.v': 1 }, name: 'entries' }]);
    await c.insertOne({
      _id: 1,
      s: {
        e: [
          { p: 'a', v: 'kept' },
          { p: 'a', v: 'old' },
        ],
      },
    });
    await c.replaceOne(
      { _id: 1 },
      {
        s: {
          e: [
            { p: 'a', v: 'kept' },
            { p: 'a', v: 'new' },
          ],
        },
      },
    );
    const ids = async (v: string) =>
      (
        await c
          .find({ 's.e': { $elemMatch: { p: 'a', v } } })
          .hint('entries')
          .toArray()
      ).map((d) => d._id);
    expect([await ids('kept'), await ids('old'), await ids('new')]).toEqual([[1], [], [1]]);
    // No entry is left behind for the value the replacement removed: the scan fetches nothing.
    const stale = await c
      .find({ 's.e': { $elemMatch: { p: 'a', v: 'old' } } })
      .hint('entries')
      .explain('executionStats');
    expect(stale.executionStats.totalDocsExamined).toBe(0);
    await c.replaceOne({ _id: 1 }, { s: { e: [{ p: 'a', v: 'new' }] } });
    expect([await ids('kept'), await ids('new')]).toEqual([[], [1]]);
  });

  it('follows a hint, and rejects a hint naming no index', async () => {
    expect(indexesUsed(await col.find({ c: 'Patient/1' }).hint('lastUpdated_desc').explain())).toEqual(['lastUpdated_desc']);
    expect(usesCollScan(await col.find({ c: 'Patient/1' }).hint({ $natural: 1 }).explain())).toBe(true);
    await expect(col.find({}).hint('no_such_index').toArray()).rejects.toMatchObject({ code: 2 });
  });
});
