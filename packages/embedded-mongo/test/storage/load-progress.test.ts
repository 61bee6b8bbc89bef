import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedMongo, startEmbeddedMongoThread, type RecoveryProgress } from '../../src';
import { withServer } from './with-server';

const internal = process.env.MONGODB_URI ? describe.skip : describe;

/** Bytes of the files a start reads: the newest snapshot and the journals. */
function storeBytes(dir: string): number {
  return fs
    .readdirSync(dir)
    .filter((f) => /^(snapshot-\d+\.bson|journal-\d+\.log)$/.test(f))
    .reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
}

internal('progress while a data directory loads', () => {
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emb-progress-'));
    await withServer(dir, async (client) => {
      const col = client.db('d').collection<{ _id: number; pad: string }>('c');
      await col.insertMany(Array.from({ length: 500 }, (_, i) => ({ _id: i, pad: 'x'.repeat(1000) })));
      await col.insertOne({ _id: 1000, pad: 'after' });
    });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is reported at the start, then as bytes are read, up to every byte of snapshot and journal', async () => {
    const reports: RecoveryProgress[] = [];
    const total = storeBytes(dir);
    const engine = await startEmbeddedMongo({ dataDir: dir, progress: { everyMs: 0, onProgress: (p) => reports.push(p) } });
    await engine.stop();
    expect(total).toBeGreaterThan(500_000);
    expect(reports[0]).toMatchObject({ bytesRead: 0, totalBytes: total });
    expect(reports[reports.length - 1]).toMatchObject({ bytesRead: total, totalBytes: total });
    expect(engine.recovery?.bytes).toBe(total);
  });

  it('reaches the server thread from an engine on its worker thread', async () => {
    const reports: RecoveryProgress[] = [];
    const engine = await startEmbeddedMongoThread({ dataDir: dir, progress: { everyMs: 0, onProgress: (p) => reports.push(p) } });
    await engine.stop();
    expect(reports[0]).toMatchObject({ bytesRead: 0 });
    expect(reports[reports.length - 1].bytesRead).toBe(reports[0].totalBytes);
    expect(engine.recovery?.records).toBeGreaterThan(0);
  });

  it('says nothing for an empty data directory', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'emb-progress-empty-'));
    const reports: RecoveryProgress[] = [];
    try {
      const engine = await startEmbeddedMongo({ dataDir: empty, progress: { everyMs: 0, onProgress: (p) => reports.push(p) } });
      await engine.stop();
      expect(reports).toEqual([]);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
