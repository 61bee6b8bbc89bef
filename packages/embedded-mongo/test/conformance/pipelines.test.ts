/** Aggregation pipelines of the shapes the server uses, through the driver. */
import { Collection } from 'mongodb';
import { Harness, againstRealMongo, openHarness } from '../harness';

type AnyDoc = any;

describe('pipeline conformance', () => {
  let h: Harness;
  let col: Collection<AnyDoc>;
  beforeAll(async () => {
    h = await openHarness();
    col = h.db.collection('orders');
    await col.createIndex({ status: 1 });
    await col.insertMany([
      {
        _id: 1,
        status: 'open',
        total: 10,
        items: [
          { sku: 'a', qty: 1 },
          { sku: 'b', qty: 2 },
        ],
        customer: 'c1',
      },
      { _id: 2, status: 'open', total: 25, items: [{ sku: 'a', qty: 5 }], customer: 'c2' },
      { _id: 3, status: 'closed', total: 7, items: [], customer: 'c1' },
      { _id: 4, status: 'closed', total: 40, items: [{ sku: 'c', qty: 1 }], customer: 'c3' },
    ]);
    await h.db.collection<AnyDoc>('customers').insertMany([
      { _id: 'c1', name: 'Ann' },
      { _id: 'c2', name: 'Bob' },
    ]);
  });
  afterAll(() => h.close());

  it('matches, sorts, skips, limits and projects', async () => {
    const r = await col.aggregate([{ $match: { status: 'open' } }, { $sort: { total: -1 } }, { $skip: 0 }, { $limit: 1 }, { $project: { _id: 0, total: 1 } }]).toArray();
    expect(r).toEqual([{ total: 25 }]);
  });

  it('groups with accumulators and sorts the groups', async () => {
    const r = await col.aggregate([{ $group: { _id: '$status', n: { $sum: 1 }, sum: { $sum: '$total' }, max: { $max: '$total' } } }, { $sort: { _id: 1 } }]).toArray();
    expect(r).toEqual([
      { _id: 'closed', n: 2, sum: 47, max: 40 },
      { _id: 'open', n: 2, sum: 35, max: 25 },
    ]);
  });

  it('counts, unwinds arrays and sums over elements', async () => {
    expect(await col.aggregate([{ $match: { total: { $gt: 8 } } }, { $count: 'n' }]).toArray()).toEqual([{ n: 3 }]);
    const r = await col.aggregate([{ $unwind: '$items' }, { $group: { _id: '$items.sku', qty: { $sum: '$items.qty' } } }, { $sort: { _id: 1 } }]).toArray();
    expect(r).toEqual([
      { _id: 'a', qty: 6 },
      { _id: 'b', qty: 2 },
      { _id: 'c', qty: 1 },
    ]);
  });

  it('runs $facet for a page and a total in one round trip', async () => {
    const [r] = await col
      .aggregate([{ $match: {} }, { $facet: { page: [{ $sort: { _id: 1 } }, { $limit: 2 }, { $project: { _id: 1 } }], total: [{ $count: 'n' }] } }])
      .toArray();
    expect(r).toEqual({ page: [{ _id: 1 }, { _id: 2 }], total: [{ n: 4 }] });
  });

  it('joins another collection with $lookup', async () => {
    const r = await col
      .aggregate([{ $match: { _id: 1 } }, { $lookup: { from: 'customers', localField: 'customer', foreignField: '_id', as: 'who' } }, { $project: { who: 1 } }])
      .toArray();
    expect(r).toEqual([{ _id: 1, who: [{ _id: 'c1', name: 'Ann' }] }]);
  });

  it('does not mutate stored documents when a stage adds fields', async () => {
    await col.aggregate([{ $match: { _id: 1 } }, { $set: { 'items.extra': 1, total: 0 } }]).toArray();
    expect(await col.findOne({ _id: 1 })).toMatchObject({
      total: 10,
      items: [
        { sku: 'a', qty: 1 },
        { sku: 'b', qty: 2 },
      ],
    });
  });

  // The embedded engine does not implement $out/$merge; MongoDB does, so this only holds for the engine.
  (againstRealMongo ? it.skip : it)('refuses stages that write ($out) with an error', async () => {
    await expect(col.aggregate([{ $out: 'copy' }]).toArray()).rejects.toMatchObject({ code: 40324 });
  });
});
