import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedMongo, type RecoveryProgress } from '../../src';
import { describeEmbeddedOnly } from '../harness';
import { writeOlderDataDir } from './older-data-dir';
import { withServer } from './with-server';

describeEmbeddedOnly('migrating a data directory of the in-memory engine', () => {
  let dir: string;
  beforeEach(() => (dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'emb-migrate-')), 'data')));
  afterEach(() => fs.rmSync(path.dirname(dir), { recursive: true, force: true }));

  it('moves snapshot and journal into the store on the first start, reporting progress, and removes them', async () => {
    writeOlderDataDir(dir);
    const reports: RecoveryProgress[] = [];
    const engine = await startEmbeddedMongo({ dataDir: dir, progress: { onProgress: (p) => reports.push(p), everyMs: 0 } });
    try {
      expect(engine.recovery).toMatchObject({ records: 7, truncatedBytes: 6 });
      expect(reports[0]).toEqual({ file: 'snapshot-1.bson', bytesRead: 0, totalBytes: expect.any(Number) });
      expect(reports[reports.length - 1].bytesRead).toBe(reports[0].totalBytes);
      expect(fs.readdirSync(dir).filter((f) => /^(snapshot|journal)-/.test(f))).toEqual([]);
    } finally {
      await engine.stop();
    }
    await withServer(dir, async (client) => {
      const c = client.db('db').collection<{ _id: number; k: number; tags: string[] }>('c');
      expect(await c.countDocuments()).toBe(49);
      expect(await c.findOne({ _id: 0 })).toBeNull();
      expect(await c.findOne({ _id: 1 })).toEqual({ _id: 1, k: 9, tags: ['replaced'] });
      expect((await c.indexes()).map((i) => i.name)).toEqual(['_id_', 'k_1']);
      // The index holds the final state only: the replaced document's old key is gone.
      expect((await c.find({ k: 1 }).toArray()).map((d) => d._id)).toEqual([6, 11, 16, 21, 26, 31, 36, 41, 46]);
      expect(await client.db('db').listCollections().toArray()).toHaveLength(1);
    });
  });
});
