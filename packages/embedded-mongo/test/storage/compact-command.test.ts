import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient, MongoServerError } from 'mongodb';
import { startEmbeddedMongo, startEmbeddedMongoThread } from '../../src';
import { withServer } from './with-server';

const internal = process.env.MONGODB_URI ? describe.skip : describe;

/** The names of the files under `dir` whose bytes contain `text`. */
function filesHolding(dir: string, text: string): string[] {
  const needle = Buffer.from(text, 'utf8');
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .filter((f) => fs.readFileSync(f).includes(needle))
    .map((f) => path.relative(dir, f));
}

internal('the compact command', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emb-compact-cmd-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['on the calling thread', startEmbeddedMongo],
    ['on its worker thread', startEmbeddedMongoThread],
  ])('%s: leaves no file holding the bytes of documents deleted or overwritten before it', async (_where, start) => {
    await withServer(
      dir,
      async (client) => {
        const col = client.db('t').collection<{ _id: string; v: string }>('c');
        await col.insertMany([
          { _id: 'gone', v: 'Zebediah-deleted' },
          { _id: 'kept', v: 'Zebediah-overwritten' },
        ]);
        await col.deleteOne({ _id: 'gone' });
        await col.replaceOne({ _id: 'kept' }, { v: 'kept-now' });
        // The store's freed pages still hold them: lmdb only marks them for reuse.
        expect(filesHolding(dir, 'Zebediah')).toEqual(['store/data.mdb']);

        const reply = await client.db('t').command({ compact: 'c' });
        expect(reply).toEqual({ ok: 1, bytesFreed: expect.any(Number) });
        expect(reply.bytesFreed).toBeGreaterThan(0);
        expect(filesHolding(dir, 'Zebediah')).toEqual([]);
        expect(fs.readdirSync(path.join(dir, 'store')).sort()).toEqual(['data.mdb', 'lock.mdb']);
      },
      start,
    );
    // What was live is still there after a restart from the compacted store.
    await withServer(dir, async (client) => {
      expect(await client.db('t').collection('c').find().toArray()).toEqual([{ _id: 'kept', v: 'kept-now' }]);
    });
  });

  it('refuses a collection that does not exist, as MongoDB does', async () => {
    await withServer(dir, async (client) => {
      const refused = await client
        .db('t')
        .command({ compact: 'nothing' })
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(MongoServerError);
      expect((refused as MongoServerError).codeName).toBe('NamespaceNotFound');
    });
  });

  it('has nothing to do in memory', async () => {
    const engine = await startEmbeddedMongo();
    const client = await MongoClient.connect(engine.uri);
    try {
      await client.db('t').collection('c').insertOne({ v: 1 });
      expect(await client.db('t').command({ compact: 'c' })).toEqual({ ok: 1, bytesFreed: 0 });
    } finally {
      await client.close();
      await engine.stop();
    }
  });
});
