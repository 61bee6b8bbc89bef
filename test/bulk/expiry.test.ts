import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GRIDFS_BUCKET, GridFsFileStore } from '../../src/jobs/file-store';
import { JOBS_COLLECTION } from '../../src/jobs/job-store';
import { patient, startBulkServer, until, type BulkTestServer } from './helpers';

// A file of about 320 KB: two GridFS chunks of 255 KB, so chunks left behind would show.
const PATIENTS = 2500;
const ROUNDS = 3;

/** What the store and the export folder hold of export jobs: job documents, GridFS files and chunks, job folders. */
async function held(server: BulkTestServer, dir?: string) {
  const count = (name: string) => server.store.db.collection(name).countDocuments({});
  return {
    jobs: await count(JOBS_COLLECTION),
    files: await count(`${GRIDFS_BUCKET}.files`),
    chunks: await count(`${GRIDFS_BUCKET}.chunks`),
    folders: dir ? (await readdir(dir)).length : 0,
  };
}

describe.each([
  ['GridFS', false],
  ['BULK_EXPORT_DIR', true],
])('expired exports stored in %s', (_store, inDirectory) => {
  it(`give back their space: after each of ${ROUNDS} exports expires, no job, file, chunk or folder of it is left`, async () => {
    const dir = inDirectory ? await mkdtemp(path.join(os.tmpdir(), 'bulk-expiry-')) : undefined;
    const server = await startBulkServer({ BULK_EXPORT_TTL: '1s', ...(dir ? { BULK_EXPORT_DIR: dir } : {}) });
    try {
      await server.seed(
        [...Array(PATIENTS)].map((_, i) => patient(`p${i}`, `Family${i}`)),
        undefined,
        { searchable: false },
      );
      for (let round = 0; round < ROUNDS; round++) {
        const location = (await server.kickoff('$export?_type=Patient')).headers.get('content-location') as string;
        const done = await server.waitDone(location);
        expect(done.status).toBe(200);
        const [file] = done.body.output;
        // One look (the job expires a second after it finished): the file is there, in more than one chunk.
        const finished = await held(server, dir);
        expect(finished).toEqual(dir ? { jobs: 1, files: 0, chunks: 0, folders: 1 } : { jobs: 1, files: 1, chunks: expect.any(Number), folders: 0 });
        if (!dir) expect(finished.chunks).toBeGreaterThan(1);

        // The sweep removes the files, then the job: once the job is gone, nothing of it may be left.
        await until(async () => (await fetch(location)).status === 404);
        expect((await fetch(file.url)).status).toBe(404);
        expect(await held(server, dir)).toEqual({ jobs: 0, files: 0, chunks: 0, folders: 0 });
      }
    } finally {
      await server.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('an expired export whose writer was killed mid-file (GridFS)', () => {
  it('loses the chunks of the file never completed too: they carry the job in their file id', async () => {
    const server = await startBulkServer({ BULK_EXPORT_TTL: '1s' });
    try {
      await server.seed([patient('a')]);
      const location = (await server.kickoff('$export?_type=Patient')).headers.get('content-location') as string;
      expect((await server.waitDone(location)).status).toBe(200);
      // What a process killed while writing a file leaves: chunks, and no files document naming them.
      const leftover = new GridFsFileStore(server.store.db).create(location.split('/').pop() as string, 'Patient-2.ndjson');
      await new Promise<void>((resolve, reject) => leftover.write('x'.repeat(600 * 1024), (err) => (err ? reject(err) : resolve())));
      leftover.destroy();
      expect(await server.store.db.collection(`${GRIDFS_BUCKET}.chunks`).countDocuments({})).toBeGreaterThan(2);

      await until(async () => (await fetch(location)).status === 404);
      expect(await held(server)).toEqual({ jobs: 0, files: 0, chunks: 0, folders: 0 });
    } finally {
      await server.close();
    }
  });
});
