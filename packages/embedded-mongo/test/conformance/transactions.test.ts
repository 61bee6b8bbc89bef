/**
 * Multi-document transactions: snapshot isolation, all-or-nothing commit, abort without trace, write conflicts
 * reported as 112 + TransientTransactionError so the driver's withTransaction retries.
 */
import { ClientSession, Collection, MongoServerError } from 'mongodb';
import { Harness, openHarness } from '../harness';

type AnyDoc = any;

describe('transactions', () => {
  let h: Harness;
  let col: Collection<AnyDoc>;
  let other: Collection<AnyDoc>;
  const sessions: ClientSession[] = [];
  const session = () => {
    const s = h.client.startSession();
    sessions.push(s);
    return s;
  };

  beforeAll(async () => {
    h = await openHarness();
  });
  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.endSession()));
    await h.close();
  });
  beforeEach(async () => {
    const suffix = Math.random().toString(36).slice(2);
    col = h.db.collection(`t${suffix}`);
    other = h.db.collection(`o${suffix}`);
    await col.createIndex({ k: 1 });
    await col.insertMany([
      { _id: 1, k: 'a', n: 0 },
      { _id: 2, k: 'b', n: 0 },
    ]);
    await other.insertOne({ _id: 'x' });
  });

  it('reads from a snapshot: commits made by others after the first read stay invisible', async () => {
    const s = session();
    s.startTransaction();
    expect((await col.findOne({ _id: 1 }, { session: s }))?.n).toBe(0);
    await col.updateOne({ _id: 1 }, { $set: { n: 5, k: 'z' } });
    await col.insertOne({ _id: 3, k: 'a' });
    expect((await col.findOne({ _id: 1 }, { session: s }))?.n).toBe(0);
    // Through the index too: the old key still finds the old version, the new key finds nothing.
    expect((await col.find({ k: 'a' }, { session: s }).toArray()).map((d) => d._id)).toEqual([1]);
    expect(await col.countDocuments({ k: 'z' }, { session: s })).toBe(0);
    await s.abortTransaction();
  });

  it('sees its own writes, hides them from others, and applies them all at commit', async () => {
    const s = session();
    s.startTransaction();
    await col.insertOne({ _id: 10, k: 'new' }, { session: s });
    await col.updateOne({ _id: 1 }, { $set: { k: 'moved' } }, { session: s });
    await col.deleteOne({ _id: 2 }, { session: s });
    await other.insertOne({ _id: 'y' }, { session: s });
    expect(
      (
        await col
          .find({ k: { $in: ['new', 'moved', 'b'] } }, { session: s })
          .sort({ _id: 1 })
          .toArray()
      ).map((d) => d._id),
    ).toEqual([1, 10]);
    expect(await col.countDocuments({ k: 'moved' })).toBe(0);
    expect(await other.countDocuments()).toBe(1);
    await s.commitTransaction();
    expect((await col.find().sort({ _id: 1 }).toArray()).map((d) => [d._id, d.k])).toEqual([
      [1, 'moved'],
      [10, 'new'],
    ]);
    expect(await other.countDocuments()).toBe(2);
  });

  it('leaves no trace when aborted', async () => {
    const s = session();
    s.startTransaction();
    await col.insertOne({ _id: 11, k: 'ghost' }, { session: s });
    await col.deleteOne({ _id: 1 }, { session: s });
    await s.abortTransaction();
    expect((await col.find().sort({ _id: 1 }).toArray()).map((d) => d._id)).toEqual([1, 2]);
    expect(await col.countDocuments({ k: 'ghost' })).toBe(0);
  });

  it('reports a write conflict between two transactions as 112 with the TransientTransactionError label', async () => {
    const s1 = session();
    const s2 = session();
    s1.startTransaction();
    s2.startTransaction();
    await col.updateOne({ _id: 1 }, { $inc: { n: 1 } }, { session: s1 });
    const err = await col.updateOne({ _id: 1 }, { $inc: { n: 1 } }, { session: s2 }).catch((e: MongoServerError) => e);
    expect(err).toBeInstanceOf(MongoServerError);
    expect((err as MongoServerError).code).toBe(112);
    expect((err as MongoServerError).hasErrorLabel('TransientTransactionError')).toBe(true);
    await s2.abortTransaction().catch(() => undefined);
    await s1.commitTransaction();
    expect((await col.findOne({ _id: 1 }))?.n).toBe(1);
  });

  it('fails the transaction at commit when a write outside it touched the same document', async () => {
    const s = session();
    s.startTransaction();
    await col.updateOne({ _id: 1 }, { $inc: { n: 1 } }, { session: s });
    await col.updateOne({ _id: 1 }, { $set: { outside: true } });
    const err = await s.commitTransaction().catch((e: MongoServerError) => e);
    expect((err as MongoServerError).code).toBe(112);
    expect(await col.findOne({ _id: 1 })).toMatchObject({ n: 0, outside: true });
  });

  it('retries a conflicting transaction through withTransaction until it commits', async () => {
    const s = session();
    let attempts = 0;
    await s.withTransaction(async () => {
      attempts++;
      const doc = await col.findOne({ _id: 2 }, { session: s });
      if (attempts === 1) await col.updateOne({ _id: 2 }, { $inc: { n: 100 } });
      await col.updateOne({ _id: 2 }, { $set: { n: (doc?.n ?? 0) + 1 } }, { session: s });
    });
    expect(attempts).toBe(2);
    expect((await col.findOne({ _id: 2 }))?.n).toBe(101);
  });

  it('aborts on a duplicate key inside the transaction; later statements get NoSuchTransaction', async () => {
    await col.createIndex({ k: 1, u: 1 }, { unique: true });
    const s = session();
    s.startTransaction();
    await col.insertOne({ _id: 20, k: 'q', u: 1 }, { session: s });
    const dup = await col.insertOne({ _id: 21, k: 'q', u: 1 }, { session: s }).catch((e: MongoServerError) => e);
    expect((dup as MongoServerError).code).toBe(11000);
    const next = await col.insertOne({ _id: 22 }, { session: s }).catch((e: MongoServerError) => e);
    expect((next as MongoServerError).code).toBe(251);
    await s.abortTransaction().catch(() => undefined);
    expect(await col.countDocuments({ _id: { $in: [20, 21, 22] } })).toBe(0);
  });

  it('detects two transactions inserting the same _id', async () => {
    const s1 = session();
    const s2 = session();
    s1.startTransaction();
    s2.startTransaction();
    await col.insertOne({ _id: 30 }, { session: s1 });
    const err = await col.insertOne({ _id: 30 }, { session: s2 }).catch((e: MongoServerError) => e);
    expect([112, 11000]).toContain((err as MongoServerError).code);
    await s2.abortTransaction().catch(() => undefined);
    await s1.commitTransaction();
    expect(await col.countDocuments({ _id: 30 })).toBe(1);
  });

  it('loses no update when concurrent transactions read-modify-write the same document', async () => {
    await col.insertOne({ _id: 'counter', n: 0 });
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        const s = session();
        await s.withTransaction(async () => {
          const doc = await col.findOne({ _id: 'counter' }, { session: s });
          await col.updateOne({ _id: 'counter' }, { $set: { n: doc!.n + 1 } }, { session: s });
        });
      }),
    );
    expect((await col.findOne({ _id: 'counter' }))?.n).toBe(12);
  });

  it('applies concurrent single-document $inc updates atomically', async () => {
    await col.insertOne({ _id: 'hits', n: 0 });
    await Promise.all(Array.from({ length: 50 }, () => col.updateOne({ _id: 'hits' }, { $inc: { n: 1 } })));
    expect((await col.findOne({ _id: 'hits' }))?.n).toBe(50);
  });

  it('keeps index-ordered results right for everyone while an open snapshot holds old versions', async () => {
    await col.createIndex({ rank: -1 });
    await col.insertMany([
      { _id: 'r1', rank: 1 },
      { _id: 'r2', rank: 2 },
      { _id: 'r3', rank: 3 },
    ]);
    const s = session();
    s.startTransaction();
    await col.findOne({ _id: 'r1' }, { session: s });
    // r3 moves down: its old index entry (3) comes first in a descending scan and must not place it there.
    await col.updateOne({ _id: 'r3' }, { $set: { rank: 0 } });
    const ranked = (docs: AnyDoc[]) => docs.map((d) => d._id);
    expect(ranked(await col.find({}).sort({ rank: -1 }).limit(3).toArray())).toEqual(['r2', 'r1', 'r3']);
    expect(ranked(await col.find({}, { session: s }).sort({ rank: -1 }).limit(3).toArray())).toEqual(['r3', 'r2', 'r1']);
    await s.abortTransaction();
  });

  it('inserts thousands of documents in one transaction and still catches a duplicate among them', async () => {
    await col.createIndex({ code: 1 }, { unique: true, sparse: true });
    const s = session();
    s.startTransaction();
    await col.insertMany(
      Array.from({ length: 3000 }, (_, i) => ({ _id: `b${i}`, code: `c${i}` })),
      { session: s },
    );
    expect(await col.countDocuments({ code: { $gte: 'c' } }, { session: s })).toBe(3000);
    const dup = await col.insertOne({ _id: 'late', code: 'c1234' }, { session: s }).catch((e: MongoServerError) => e);
    expect((dup as MongoServerError).code).toBe(11000);
    await s.abortTransaction().catch(() => undefined);
    expect(await col.countDocuments({ code: { $exists: true } })).toBe(0);
  });
});
