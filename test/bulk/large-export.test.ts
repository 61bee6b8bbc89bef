import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { observation, patient, startBulkServer } from './helpers';

const PATIENTS = 200;
const OBSERVATIONS = 12_000;

describe('a large export', () => {
  it('streams 12k+ resources into files split at BULK_EXPORT_MAX_LINES, each resource exactly once', async () => {
    const server = await startBulkServer({ BULK_EXPORT_MAX_LINES: '5000' });
    try {
      const data = [...Array(PATIENTS)].map((_, i) => patient(`p${i}`));
      for (let i = 0; i < OBSERVATIONS; i++) data.push(observation(`o${String(i).padStart(5, '0')}`, `p${i % PATIENTS}`));
      await server.seed(data, undefined, { searchable: false });

      const done = await server.waitDone((await server.kickoff('$export')).headers.get('content-location') as string);
      expect(done.status).toBe(200);
      const obsFiles = done.body.output.filter((o: any) => o.type === 'Observation');
      expect(obsFiles.map((f: any) => f.count)).toEqual([5000, 5000, 2000]);
      const seen = new Set<string>();
      for (const f of obsFiles) {
        const rows = await server.lines(f.url);
        expect(rows).toHaveLength(f.count);
        for (const r of rows) {
          expect(r.resourceType).toBe('Observation');
          seen.add(r.id);
        }
      }
      expect(seen.size).toBe(OBSERVATIONS);
      expect(done.body.output.find((o: any) => o.type === 'Patient').count).toBe(PATIENTS);
    } finally {
      await server.close();
    }
  });

  it('writes the files to BULK_EXPORT_DIR when configured, and removes them when the export is deleted', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bulk-export-'));
    const server = await startBulkServer({ BULK_EXPORT_DIR: dir, BULK_EXPORT_MAX_LINES: '300' });
    try {
      await server.seed(
        [...Array(1000)].map((_, i) => patient(`p${i}`)),
        undefined,
        { searchable: false },
      );
      const location = (await server.kickoff('$export?_type=Patient')).headers.get('content-location') as string;
      const done = await server.waitDone(location);
      expect(done.body.output.map((f: any) => f.count)).toEqual([300, 300, 300, 100]);
      const jobId = location.split('/').pop() as string;
      expect((await readdir(path.join(dir, jobId))).sort()).toEqual(['Patient-1.ndjson', 'Patient-2.ndjson', 'Patient-3.ndjson', 'Patient-4.ndjson']);
      const rows = await server.lines(done.body.output[3].url);
      expect(rows).toHaveLength(100);

      expect((await fetch(location, { method: 'DELETE' })).status).toBe(202);
      expect((await fetch(location)).status).toBe(404);
      await expect(readdir(path.join(dir, jobId))).rejects.toThrow();
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
