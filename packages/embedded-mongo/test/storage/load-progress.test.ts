import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedMongo, startEmbeddedMongoThread, type RecoveryProgress } from '../../src';
import { writeOlderDataDir } from './older-data-dir';

const internal = process.env.MONGODB_URI ? describe.skip : describe;

internal('progress while an older data directory is migrated into the store', () => {
  let root: string;
  beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), 'emb-progress-'))));
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('is reported at the start, then as bytes are read, up to every byte of snapshot and journal', async () => {
    const dir = path.join(root, 'data');
    const total = writeOlderDataDir(dir, 'x'.repeat(10_000));
    const reports: RecoveryProgress[] = [];
    const engine = await startEmbeddedMongo({ dataDir: dir, progress: { everyMs: 0, onProgress: (p) => reports.push(p) } });
    await engine.stop();
    expect(total).toBeGreaterThan(500_000);
    expect(reports[0]).toMatchObject({ bytesRead: 0, totalBytes: total });
    expect(reports.length).toBeGreaterThan(2);
    expect(reports[reports.length - 1]).toMatchObject({ bytesRead: total, totalBytes: total });
    expect(engine.recovery?.bytes).toBe(total);
  });

  it('reaches the server thread from an engine on its worker thread', async () => {
    const dir = path.join(root, 'data');
    writeOlderDataDir(dir, 'x'.repeat(10_000));
    const reports: RecoveryProgress[] = [];
    const engine = await startEmbeddedMongoThread({ dataDir: dir, progress: { everyMs: 0, onProgress: (p) => reports.push(p) } });
    await engine.stop();
    expect(reports[0]).toMatchObject({ bytesRead: 0 });
    expect(reports[reports.length - 1].bytesRead).toBe(reports[0].totalBytes);
    expect(engine.recovery?.records).toBeGreaterThan(0);
  });

  it('says nothing for an empty data directory, nor once the store holds the data', async () => {
    const dir = path.join(root, 'data');
    writeOlderDataDir(dir);
    await (await startEmbeddedMongo({ dataDir: dir })).stop();
    for (const d of [dir, root]) {
      const reports: RecoveryProgress[] = [];
      const engine = await startEmbeddedMongo({ dataDir: d === root ? path.join(root, 'empty') : d, progress: { everyMs: 0, onProgress: (p) => reports.push(p) } });
      await engine.stop();
      expect(reports).toEqual([]);
    }
  });
});
