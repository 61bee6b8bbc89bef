import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withServer } from './with-server';

type AnyDoc = any;

const internal = process.env.MONGODB_URI ? describe.skip : describe;

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'emb-dur-'));
}

internal('durability', () => {
  let dir: string;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('restores documents, deletions, updates, indexes and dropped collections after a restart', async () => {
    await withServer(dir, async (c) => {
      const db = c.db('d');
      await db.collection<AnyDoc>('p').createIndex({ 'name.family': 1 }, { unique: true, name: 'fam' });
      await db.collection<AnyDoc>('p').insertMany([
        { _id: 'a', name: { family: 'A' } },
        { _id: 'b', name: { family: 'B' } },
        { _id: 'c', name: { family: 'C' } },
      ]);
      await db.collection<AnyDoc>('p').deleteOne({ _id: 'b' });
      await db.collection<AnyDoc>('p').updateOne({ _id: 'c' }, { $set: { when: new Date('2020-01-02T00:00:00Z'), re: /a b/i } });
      await db.collection<AnyDoc>('gone').insertOne({ x: 1 });
      await db.collection<AnyDoc>('gone').drop();
    });
    await withServer(dir, async (c) => {
      const db = c.db('d');
      expect(await db.collection<AnyDoc>('p').find().sort({ _id: 1 }).toArray()).toEqual([
        { _id: 'a', name: { family: 'A' } },
        { _id: 'c', name: { family: 'C' }, when: new Date('2020-01-02T00:00:00Z'), re: /a b/i },
      ]);
      expect((await db.listCollections().toArray()).map((x) => x.name)).toEqual(['p']);
      expect((await db.collection<AnyDoc>('p').indexes()).map((i) => i.name)).toEqual(['_id_', 'fam']);
      await expect(db.collection<AnyDoc>('p').insertOne({ name: { family: 'A' } })).rejects.toMatchObject({ code: 11000 });
    });
  });

  it('rebuilds indexes at start-up from the final state only: replaced and deleted documents leave no entries', async () => {
    const entries = { 's.e.p': 1, 's.e.v': 1 };
    await withServer(dir, async (c) => {
      const col = c.db('d').collection<AnyDoc>('obs');
      await col.createIndex(entries, { name: 'entries' });
      await col.insertMany(
        Array.from({ length: 50 }, (_, i) => ({
          _id: i,
          s: {
            e: [
              { p: 'status', v: 'final' },
              { p: 'code', v: `c${i % 5}` },
            ],
          },
        })),
      );
      await col.replaceOne(
        { _id: 1 },
        {
          s: {
            e: [
              { p: 'status', v: 'amended' },
              { p: 'code', v: 'c1' },
            ],
          },
        },
      );
      await col.deleteOne({ _id: 2 });
      await col.createIndex({ late: 1 }, { name: 'late' });
    });
    await withServer(dir, async (c) => {
      const col = c.db('d').collection<AnyDoc>('obs');
      const find = (p: string, v: string) => col.find({ 's.e': { $elemMatch: { p, v } } }).hint('entries');
      const examined = async (p: string, v: string) => (await find(p, v).explain('executionStats')).executionStats.totalDocsExamined;
      expect((await find('status', 'amended').toArray()).map((d) => d._id)).toEqual([1]);
      expect(await find('status', 'final').count()).toBe(48);
      // The index holds exactly the live keys: nothing fetched for the replaced value or the deleted document.
      expect(await examined('status', 'final')).toBe(48);
      expect(await examined('code', 'c2')).toBe(9);
      expect(await col.find({ late: null }).hint('late').count()).toBe(49);
      // And it keeps working for writes after the start.
      await col.insertOne({ _id: 'new', s: { e: [{ p: 'code', v: 'c2' }] } });
      expect(await examined('code', 'c2')).toBe(10);
    });
  });

  it('compacts into a copy of the store swapped in, without losing data, and keeps writing to it', async () => {
    await withServer(dir, async (c, server) => {
      const col = c.db('d').collection<AnyDoc>('x');
      await col.createIndex({ k: 1 });
      await col.insertMany(Array.from({ length: 2500 }, (_, i) => ({ _id: i, k: i % 10, pad: 'p'.repeat(500) })));
      await col.deleteMany({ k: { $in: [3, 4, 5, 6, 7] } });
      const before = server.storeBytes();
      await server.compact();
      expect(server.storeBytes()).toBeLessThan(before);
      await col.updateOne({ _id: 1 }, { $set: { after: true } });
      expect(await col.countDocuments({ k: 2 })).toBe(250);
    });
    expect(fs.readdirSync(path.join(dir, 'store')).sort()).toEqual(['data.mdb', 'lock.mdb']);
    await withServer(dir, async (c) => {
      const col = c.db('d').collection<AnyDoc>('x');
      expect(await col.countDocuments()).toBe(1250);
      expect(await col.countDocuments({ k: 3 })).toBe(0);
      expect((await col.findOne({ _id: 1 }))?.after).toBe(true);
      expect((await col.indexes()).map((i) => i.name)).toEqual(['_id_', 'k_1']);
    });
  });

  it('starts from the store as it was when a compaction was cut short before its copy was swapped in', async () => {
    await withServer(dir, async (c) => {
      await c
        .db('d')
        .collection<AnyDoc>('x')
        .insertMany([{ _id: 1 }, { _id: 2 }]);
    });
    // What a crash during the copy leaves behind: the unfinished copy beside the store.
    fs.mkdirSync(path.join(dir, 'store', 'compacting'));
    fs.writeFileSync(path.join(dir, 'store', 'compacting', 'data.mdb'), Buffer.alloc(8192, 7));
    await withServer(dir, async (c) => {
      expect((await c.db('d').collection<AnyDoc>('x').find().toArray()).map((d) => d._id)).toEqual([1, 2]);
      expect(fs.readdirSync(path.join(dir, 'store')).sort()).toEqual(['data.mdb', 'lock.mdb']);
    });
  });

  it('restores a hot backup taken while writes go on, as of the moment it began', async () => {
    const target = path.join(dir, '..', `${path.basename(dir)}-backup`);
    try {
      await withServer(dir, async (c, server) => {
        const col = c.db('d').collection<AnyDoc>('x');
        await col.insertMany(Array.from({ length: 500 }, (_, i) => ({ _id: i })));
        const writing = (async () => {
          for (let i = 500; i < 700; i++) await col.insertOne({ _id: i });
        })();
        await server.backup(target);
        await writing;
        expect(await col.countDocuments()).toBe(700);
      });
      await withServer(target, async (c) => {
        const n = await c.db('d').collection<AnyDoc>('x').countDocuments();
        expect(n).toBeGreaterThanOrEqual(500);
        expect(n).toBeLessThanOrEqual(700);
        // Consistent: the ids present are exactly a prefix of the insertion order.
        const ids = (await c.db('d').collection<AnyDoc>('x').find().sort({ _id: 1 }).toArray()).map((d) => d._id);
        expect(ids).toEqual(Array.from({ length: n }, (_, i) => i));
      });
    } finally {
      fs.rmSync(target, { recursive: true, force: true });
    }
  });

  it('stores a single insertMany larger than the 16 MB document limit', async () => {
    const docs = Array.from({ length: 9000 }, (_, i) => ({ _id: i, pad: 'y'.repeat(2500) }));
    await withServer(dir, async (c) => {
      await c.db('d').collection<AnyDoc>('big').insertMany(docs);
    });
    await withServer(dir, async (c) => {
      expect(await c.db('d').collection<AnyDoc>('big').countDocuments()).toBe(9000);
    });
  });
});
