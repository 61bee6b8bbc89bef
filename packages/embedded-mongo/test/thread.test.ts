import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedMongo, startEmbeddedMongoThread } from '../src';
import { withServer } from './storage/with-server';

const internal = process.env.MONGODB_URI ? describe.skip : describe;

internal('the embedded engine on its own worker thread', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emb-thread-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('serves the driver (transactions included) and keeps acknowledged writes across a restart', async () => {
    await withServer(
      dir,
      async (client, engine) => {
        expect(engine.listening).toEqual({ socketPath: path.join(dir, 'socket', 'mongod.sock') });
        const col = client.db('t').collection<{ _id: number; v: string }>('c');
        await client.withSession((s) =>
          s.withTransaction(() =>
            col.insertMany(
              [
                { _id: 1, v: 'a' },
                { _id: 2, v: 'b' },
              ],
              { session: s },
            ),
          ),
        );
        await col.createIndex({ v: 1 });
      },
      startEmbeddedMongoThread,
    );
    expect(fs.existsSync(path.join(dir, 'mongod.lock'))).toBe(false);

    await withServer(
      dir,
      async (client) => {
        const col = client.db('t').collection<{ _id: number; v: string }>('c');
        expect(await col.find({ v: 'b' }).toArray()).toEqual([{ _id: 2, v: 'b' }]);
        expect((await col.indexes()).map((i) => i.name)).toContain('v_1');
      },
      startEmbeddedMongoThread,
    );
  });

  it('rejects with the engine start error when the main thread already holds the data directory', async () => {
    const main = await startEmbeddedMongo({ dataDir: dir });
    try {
      await expect(startEmbeddedMongoThread({ dataDir: dir })).rejects.toThrow('already open in this process');
    } finally {
      await main.stop();
    }
  });

  it('keeps the data directory from an engine on the main thread while it runs, and frees it on stop', async () => {
    const threaded = await startEmbeddedMongoThread({ dataDir: dir });
    await expect(startEmbeddedMongo({ dataDir: dir })).rejects.toThrow('already open in this process');
    await threaded.stop();
    const main = await startEmbeddedMongo({ dataDir: dir });
    await main.stop();
  });

  it('stops once however often stop is called, and the socket is gone afterwards', async () => {
    const engine = await startEmbeddedMongoThread({});
    const socketPath = (engine.listening as { socketPath: string }).socketPath;
    expect(fs.statSync(socketPath).isSocket()).toBe(true);
    await Promise.all([engine.stop(), engine.stop()]);
    await engine.stop();
    expect(fs.existsSync(socketPath)).toBe(false);
  });
});
