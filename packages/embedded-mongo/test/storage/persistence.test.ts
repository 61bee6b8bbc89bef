import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Engine } from '../../src/engine/engine';
import { AutocommitWrites } from '../../src/engine/write-context';
import { Persistence } from '../../src/storage/persistence';

const internal = process.env.MONGODB_URI ? describe.skip : describe;

async function insertBatch(engine: Engine, from: number, count: number): Promise<void> {
  const writes = new AutocommitWrites(engine);
  const coll = writes.collection('db', 'c', true)!;
  for (let i = from; i < from + count; i++) writes.insert(coll, { _id: i, pad: 'x'.repeat(200) });
  await writes.done();
}

internal('journal compaction', () => {
  it('compacts on its own once the journal outgrows the threshold, keeping every document', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emb-compact-'));
    try {
      const engine = new Engine();
      const p = new Persistence(dir, engine, 'never', 16 * 1024);
      for (let b = 0; b < 10; b++) await insertBatch(engine, b * 20, 20);
      // Waits for any automatic compaction still running, then compacts once more: the generation number then
      // tells how many compactions happened.
      await p.compact();
      await p.close();
      const files = fs.readdirSync(dir);
      expect(files.filter((f) => f.startsWith('snapshot-'))).toHaveLength(1);
      expect(files.filter((f) => f.startsWith('journal-'))).toHaveLength(1);
      expect(Number(files.find((f) => f.startsWith('snapshot-'))!.match(/\d+/)![0])).toBeGreaterThan(1);

      const reopened = new Engine();
      const p2 = new Persistence(dir, reopened, 'never');
      expect(reopened.collection('db', 'c')!.liveCount).toBe(200);
      await p2.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
