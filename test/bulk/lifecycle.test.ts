import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Checkpoint } from '../../src/bulk/export-job';
import { gate, patient, startBulkServer, until } from './helpers';

const PATIENTS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];

/** A hook that pauses the job at its first checkpoint with a completed file, until `resume` opens. */
function pauseAtFirstFile(onCheckpoint?: (cp: Checkpoint) => void) {
  const paused = gate();
  const resume = gate();
  let first = true;
  return {
    paused,
    resume,
    hooks: {
      async afterCheckpoint(_job: unknown, cp: Checkpoint) {
        onCheckpoint?.(cp);
        if (!first || cp.files.length === 0) return;
        first = false;
        paused.open();
        await resume.opened;
      },
    },
  };
}

describe('cancelling an export', () => {
  it('DELETE mid-export answers 202, the status URL is then 404, and the job and its files are removed', async () => {
    const pause = pauseAtFirstFile();
    const server = await startBulkServer({ BULK_EXPORT_MAX_LINES: '2', BULK_EXPORT_LEASE: '300ms' }, { hooks: pause.hooks });
    try {
      await server.seed(PATIENTS.map((id) => patient(id)));
      const location = (await server.kickoff('$export?_type=Patient')).headers.get('content-location') as string;
      const jobId = location.split('/').pop() as string;
      await pause.paused.opened;
      const files = server.store.db.collection('bulk_export.files');
      expect(await files.countDocuments({ 'metadata.job': jobId })).toBeGreaterThan(0);

      const del = await fetch(location, { method: 'DELETE' });
      expect(del.status).toBe(202);
      expect(((await del.json()) as any).resourceType).toBe('OperationOutcome');
      expect((await fetch(location)).status).toBe(404);
      pause.resume.open();

      await until(
        async () => (await files.countDocuments({ 'metadata.job': jobId })) === 0 && !(await server.store.db.collection('bulk_jobs').findOne({ _id: jobId as never })),
      );
      expect((await fetch(location, { method: 'DELETE' })).status).toBe(404);
    } finally {
      pause.resume.open();
      await server.close();
    }
  });

  it('DELETE of a completed export removes its files: the manifest URLs are then 404', async () => {
    const server = await startBulkServer();
    try {
      await server.seed([patient('x')]);
      const location = (await server.kickoff('$export')).headers.get('content-location') as string;
      const done = await server.waitDone(location);
      const url = done.body.output[0].url;
      expect((await fetch(url)).status).toBe(200);
      expect((await fetch(location, { method: 'DELETE' })).status).toBe(202);
      expect((await fetch(location)).status).toBe(404);
      expect((await fetch(url)).status).toBe(404);
      expect(await server.store.db.collection('bulk_export.files').countDocuments({})).toBe(0);
    } finally {
      await server.close();
    }
  });
});

describe('restarting the server mid-export', () => {
  it('resumes the job from its last checkpoint: earlier files are kept, every resource appears once', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bulk-restart-'));
    // A clean stop hands the lease back, so the second server resumes at once. Under a heavily loaded full run this
    // test has still, rarely, waited out the 30 s default lease (cause not found, see the stop-15 note): a short lease
    // bounds that wait, and the assertions below are the same either way.
    const env = { DATA_DIR: dataDir, MONGODB_DB: 'restart', BULK_EXPORT_MAX_LINES: '2', BULK_EXPORT_LEASE: '5s' };
    const pause = pauseAtFirstFile();
    const first = await startBulkServer(env, { hooks: pause.hooks });
    let jobId: string;
    let firstFile: string;
    try {
      await first.seed(PATIENTS.map((id) => patient(id)));
      jobId = ((await first.kickoff('$export?_type=Patient')).headers.get('content-location') as string).split('/').pop() as string;
      await pause.paused.opened;
      const job = await first.store.db.collection('bulk_jobs').findOne({ _id: jobId as never });
      firstFile = job?.checkpoint.files[0].name;
      const closing = first.close();
      pause.resume.open();
      await closing;
    } finally {
      pause.resume.open();
    }

    const resumedWith: string[][] = [];
    const second = await startBulkServer(env, { hooks: { afterCheckpoint: (_j, cp) => void resumedWith.push(cp.files.map((f) => f.name)) } });
    try {
      const done = await second.waitDone(`${second.baseUrl}/$export-status/${jobId}`);
      expect(done.status).toBe(200);
      expect(resumedWith[0]).toContain(firstFile);
      const ids: string[] = [];
      for (const f of done.body.output) ids.push(...(await second.lines(f.url)).map((r) => r.id));
      expect(ids.sort()).toEqual(PATIENTS);
      expect(done.body.output.map((f: any) => f.count)).toEqual([2, 2, 2, 2, 2]);
    } finally {
      await second.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('a job that fails', () => {
  it('answers the status poll with 500 and an OperationOutcome, and keeps no partial files', async () => {
    let calls = 0;
    // Accepts the filter at kick-off, then fails inside the job, as a store outage would.
    const compileFilter = async () => {
      if (++calls > 1) throw new Error('store unreachable');
      return {};
    };
    const server = await startBulkServer({}, { compileFilter });
    try {
      await server.seed([patient('x')]);
      const res = await server.kickoff(`$export?_typeFilter=${encodeURIComponent('Patient?gender=female')}`);
      expect(res.status).toBe(202);
      const done = await server.waitDone(res.headers.get('content-location') as string);
      expect(done.status).toBe(500);
      expect(done.body.resourceType).toBe('OperationOutcome');
      expect(JSON.stringify(done.body)).not.toContain('store unreachable');
      expect(await server.store.db.collection('bulk_export.files').countDocuments({})).toBe(0);
    } finally {
      await server.close();
    }
  });
});
