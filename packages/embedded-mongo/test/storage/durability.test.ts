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

  it('discards a torn final record on start and keeps appending after the valid prefix', async () => {
    await withServer(dir, async (c) => {
      await c
        .db('d')
        .collection<AnyDoc>('x')
        .insertMany([{ _id: 1 }, { _id: 2 }]);
    });
    const journal = fs.readdirSync(dir).find((f) => f.startsWith('journal-'))!;
    const file = path.join(dir, journal);
    const intact = fs.statSync(file).size;
    // A crash in the middle of a write: a header announcing 100 bytes, then only a few of them.
    const torn = Buffer.alloc(20);
    torn.writeUInt32LE(100, 0);
    fs.appendFileSync(file, torn);
    await withServer(dir, async (c, server) => {
      expect(server.recovery?.truncatedBytes).toBe(20);
      expect(fs.statSync(file).size).toBe(intact);
      await c.db('d').collection<AnyDoc>('x').insertOne({ _id: 3 });
    });
    await withServer(dir, async (c) => {
      expect((await c.db('d').collection<AnyDoc>('x').find().toArray()).map((d) => d._id)).toEqual([1, 2, 3]);
    });
  });

  it('treats a record with a bad checksum as the end of the log', async () => {
    await withServer(dir, async (c) => {
      await c.db('d').collection<AnyDoc>('x').insertOne({ _id: 1 });
      await c.db('d').collection<AnyDoc>('x').insertOne({ _id: 2, v: 'last' });
    });
    const file = path.join(
      dir,
      fs.readdirSync(dir).find((f) => f.startsWith('journal-'))!,
    );
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 3] ^= 0xff;
    fs.writeFileSync(file, bytes);
    await withServer(dir, async (c) => {
      expect((await c.db('d').collection<AnyDoc>('x').find().toArray()).map((d) => d._id)).toEqual([1]);
    });
  });

  it('compacts into a snapshot and a new journal, deleting the old files, without losing data', async () => {
    await withServer(dir, async (c, server) => {
      const col = c.db('d').collection<AnyDoc>('x');
      await col.createIndex({ k: 1 });
      await col.insertMany(Array.from({ length: 2500 }, (_, i) => ({ _id: i, k: i % 10 })));
      await col.deleteMany({ k: 3 });
      await server.compact();
      expect(server.journalBytes()).toBe(0);
      await col.updateOne({ _id: 1 }, { $set: { after: true } });
    });
    expect(fs.readdirSync(dir).sort()).toEqual(['journal-1.log', 'snapshot-1.bson']);
    await withServer(dir, async (c) => {
      const col = c.db('d').collection<AnyDoc>('x');
      expect(await col.countDocuments()).toBe(2250);
      expect(await col.countDocuments({ k: 3 })).toBe(0);
      expect((await col.findOne({ _id: 1 }))?.after).toBe(true);
      expect((await col.indexes()).map((i) => i.name)).toEqual(['_id_', 'k_1']);
    });
  });

  it('recovers from a compaction cut short before its snapshot was complete', async () => {
    await withServer(dir, async (c) => {
      await c
        .db('d')
        .collection<AnyDoc>('x')
        .insertMany([{ _id: 1 }, { _id: 2 }]);
    });
    const oldJournal = fs.readFileSync(path.join(dir, 'journal-0.log'));
    await withServer(dir, async (c, server) => {
      await server.compact();
      await c.db('d').collection<AnyDoc>('x').insertOne({ _id: 3 });
    });
    // What a crash after the journal switch but before the snapshot rename leaves behind: the old journal, the new
    // journal, and an unfinished snapshot under its temporary name.
    fs.renameSync(path.join(dir, 'snapshot-1.bson'), path.join(dir, 'snapshot-1.bson.tmp'));
    fs.writeFileSync(path.join(dir, 'journal-0.log'), oldJournal);
    await withServer(dir, async (c) => {
      expect((await c.db('d').collection<AnyDoc>('x').find().toArray()).map((d) => d._id)).toEqual([1, 2, 3]);
      expect(fs.readdirSync(dir).some((f) => f.endsWith('.tmp'))).toBe(false);
    });
  });

  it('journals a single insertMany larger than the 16 MB document limit', async () => {
    const docs = Array.from({ length: 9000 }, (_, i) => ({ _id: i, pad: 'y'.repeat(2500) }));
    await withServer(dir, async (c) => {
      await c.db('d').collection<AnyDoc>('big').insertMany(docs);
    });
    await withServer(dir, async (c) => {
      expect(await c.db('d').collection<AnyDoc>('big').countDocuments()).toBe(9000);
    });
  });
});
