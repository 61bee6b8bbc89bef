import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnServer, type ServerProcess } from '../helpers/server-process';

/**
 * A bulk export whose worker process is killed (-9) mid-run is finished by another server on the same store: its
 * lease runs out, the other instance claims the job and resumes it from the last checkpoint, and the manifest lists
 * every resource exactly once (files written after that checkpoint are dropped and written again).
 *
 * Deterministic by construction: only server A runs while the job starts and makes progress (so A owns it), B starts
 * once A is dead. One resource per file (BULK_EXPORT_MAX_LINES=1) makes every resource a checkpoint, so the job is
 * still running when A is killed; a short lease (1 s) lets B take it over soon.
 */
const internal = process.env.MONGODB_URI ? describe.skip : describe;
const PATIENTS = 100;
const JOBS = { BULK_EXPORT_MAX_LINES: '1', BULK_EXPORT_LEASE: '1s', BULK_EXPORT_POLL: '50ms' };

internal('a bulk export whose worker process is killed', () => {
  let dir: string;
  const processes: ServerProcess[] = [];

  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhirstone-export-takeover-'))));
  afterAll(async () => {
    for (const p of processes.reverse()) {
      p.child.kill('SIGTERM');
      await p.exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('is finished by another server on the same store, every resource in its files once', async () => {
    const engine = await spawnServer({ DATA_DIR: path.join(dir, 'engine') }, 'embedded engine listening: point servers at it with MONGODB_URI', ['src/cli.ts', 'engine']);
    processes.push(engine);
    const env = { MONGODB_URI: String(engine.lines.find((l) => typeof l.uri === 'string')!.uri), DATA_DIR: path.join(dir, 'server'), ...JOBS };
    const a = await spawnServer(env);
    processes.push(a);
    const entry = (i: number) => ({ resource: { resourceType: 'Patient', id: `t-${i}` }, request: { method: 'PUT', url: `Patient/t-${i}` } });
    const seeded = await fetch(`${a.baseUrl}`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Bundle', type: 'batch', entry: [...Array(PATIENTS)].map((_, i) => entry(i)) }),
    });
    expect(seeded.status).toBe(200);
    await seeded.arrayBuffer();

    const kickoff = await fetch(`${a.baseUrl}/Patient/$export?_type=Patient`, { headers: { accept: 'application/fhir+json', prefer: 'respond-async' } });
    expect(kickoff.status).toBe(202);
    const statusPath = kickoff.headers.get('content-location')!.slice(a.baseUrl.length);
    let progress = '';
    for (let i = 0; i < 600 && !/^in progress: [1-9]\d/.test(progress); i++) {
      const res = await fetch(`${a.baseUrl}${statusPath}`);
      await res.arrayBuffer();
      expect(res.status).toBe(202);
      progress = res.headers.get('x-progress') ?? '';
      await new Promise((r) => setTimeout(r, 20));
    }
    // A has written some files of the job, not all: it dies holding the lease.
    a.child.kill('SIGKILL');
    await a.exited;

    const b = await spawnServer(env);
    processes.push(b);
    let manifest: { output: Array<{ type: string; url: string }> } | undefined;
    for (let i = 0; i < 600 && !manifest; i++) {
      const res = await fetch(`${b.baseUrl}${statusPath}`);
      if (res.status === 200) manifest = (await res.json()) as typeof manifest;
      else {
        await res.arrayBuffer();
        expect(res.status).toBe(202);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const ids: string[] = [];
    for (const file of manifest!.output) {
      const res = await fetch(file.url);
      expect(res.status).toBe(200);
      for (const line of (await res.text()).split('\n').filter(Boolean)) ids.push((JSON.parse(line) as { id: string }).id);
    }
    expect(ids.sort()).toEqual([...Array(PATIENTS)].map((_, i) => `t-${i}`).sort());
  }, 120_000);
});
