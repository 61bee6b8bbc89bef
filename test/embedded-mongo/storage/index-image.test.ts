import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withServer } from './with-server';
import { SecondaryIndex } from '../../../src/embedded-mongo/engine/secondary-index';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDoc = any;

const internal = process.env.MONGODB_URI ? describe.skip : describe;


const entries = (status: string, code: string) => ({ s: { e: [{ p: 'status', v: status }, { p: 'code', v: code }] } });

internal('index images in snapshots', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emb-img-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('loads indexes from the snapshot at start-up instead of recomputing them, with the same answers', async () => {
    await withServer(dir, async (c) => {
      const col = c.db('d').collection<AnyDoc>('obs');
      await col.createIndex({ 's.e.p': 1, 's.e.v': 1 }, { name: 'entries' });
      await col.createIndex({ n: -1 }, { name: 'n' });
      await col.insertMany(Array.from({ length: 300 }, (_, i) => ({ _id: `o${i}`, n: i, ...entries(i % 3 === 0 ? 'final' : 'draft', `c${i % 7}`) })));
      await c.db('d').collection<AnyDoc>('other').insertOne({ _id: 'x', n: 1 });
    });
    // A second start compacts nothing by itself: force a snapshot, then restart from it.
    await withServer(dir, async (_c, server) => server.compact());
    await withServer(dir, async (c, server) => {
      expect(server.recovery?.indexes?.loaded).toBeGreaterThanOrEqual(4);
      expect(server.recovery?.indexes?.built).toBe(0);
      const col = c.db('d').collection<AnyDoc>('obs');
      const finals = await col.find({ 's.e': { $elemMatch: { p: 'status', v: 'final' } } }).project({ _id: 1 }).toArray();
      expect(finals).toHaveLength(100);
      const explain = await col.find({ 's.e': { $elemMatch: { p: 'code', v: 'c3' } } }).explain();
      expect(JSON.stringify(explain)).toContain('IXSCAN');
      expect(await col.countDocuments({ 's.e': { $elemMatch: { p: 'code', v: 'c3' } } })).toBe(43);
      const top = await col.find({}).sort({ n: -1 }).limit(2).toArray();
      expect(top.map((d) => d._id)).toEqual(['o299', 'o298']);
      // Writes after loading keep the loaded entries consistent.
      await col.updateOne({ _id: 'o0' }, { $set: entries('draft', 'c0') });
      expect(await col.find({ 's.e': { $elemMatch: { p: 'status', v: 'final' } } }).hint('entries').toArray()).toHaveLength(99);
    });
  });

  it('freezes an image: later writes to keys held by several documents leave it as it was', () => {
    const index = new SecondaryIndex({ key: { v: 1 }, name: 'v' });
    index.add('a', ['k']);
    index.add('b', ['k']);
    index.add('c', ['k']);
    const image = index.image();
    index.remove('a', ['k']);
    index.add('d', ['k']);
    index.remove('b', ['k']);
    index.remove('c', ['k']);
    const frozen = image.tree.get('k');
    expect(frozen instanceof Set ? [...frozen].sort() : frozen).toEqual(['a', 'b', 'c']);
    expect([...index.idsAt('k')]).toEqual(['d']);
  });

  it('replays writes made while the snapshot is written onto the loaded indexes', async () => {
    await withServer(dir, async (c, server) => {
      const col = c.db('d').collection<AnyDoc>('obs');
      await col.createIndex({ 's.e.p': 1, 's.e.v': 1 }, { name: 'entries' });
      await col.insertMany(Array.from({ length: 2000 }, (_, i) => ({ _id: i, ...entries('final', `c${i % 2}`) })));
      // Writes racing the snapshot move documents between keys held by many documents.
      const compaction = server.compact();
      const writes = Array.from({ length: 200 }, (_, i) => col.updateOne({ _id: i * 10 }, { $set: entries('amended', 'c9') }));
      await Promise.all([compaction, ...writes]);
      await col.deleteMany({ _id: { $in: [1, 3, 5] } });
    });
    await withServer(dir, async (c) => {
      const col = c.db('d').collection<AnyDoc>('obs');
      // Hinted, so the answers come from the loaded index and not from a scan of the documents.
      const count = async (p: string, v: string) => (await col.find({ 's.e': { $elemMatch: { p, v } } }).hint('entries').toArray()).length;
      expect(await count('status', 'final')).toBe(2000 - 200 - 3);
      expect(await count('status', 'amended')).toBe(200);
      expect(await count('code', 'c9')).toBe(200);
      expect(await count('code', 'c1')).toBe(1000 - 3);
      expect(await col.countDocuments({})).toBe(1997);
    });
  });
});
