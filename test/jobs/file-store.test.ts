import type { Writable } from 'node:stream';
import { GRIDFS_BUCKET, GridFsFileStore } from '../../src/jobs/file-store';
import { startBulkServer, type BulkTestServer } from '../bulk/helpers';

const JOB = '0b7e3c1a-1111-4222-8333-444455556666';
const OTHER_JOB = '0b7e3c1a-1111-4222-8333-444455556667';

const write = (w: Writable, text: string) => new Promise<void>((resolve, reject) => w.write(text, (err) => (err ? reject(err) : resolve())));
const end = (w: Writable) => new Promise<void>((resolve, reject) => w.once('error', reject).end(resolve));

describe('the GridFS file store', () => {
  let server: BulkTestServer;
  let files: GridFsFileStore;
  const chunks = (filter = {}) => server.store.db.collection(`${GRIDFS_BUCKET}.chunks`).countDocuments(filter);

  beforeAll(async () => {
    server = await startBulkServer();
    files = new GridFsFileStore(server.store.db);
    await files.init();
  });
  afterAll(() => server.close());

  it('lists a file a killed writer left half-written, so a resumed job removes it and writes that file again', async () => {
    const crashed = files.create(JOB, 'Patient-1.ndjson');
    await write(crashed, 'a'.repeat(600 * 1024));
    crashed.destroy(); // no files document: what a process killed mid-write leaves
    const complete = files.create(JOB, 'Patient-0.ndjson');
    await write(complete, 'done\n');
    await end(complete);
    const other = files.create(OTHER_JOB, 'Patient-1.ndjson');
    await write(other, 'other\n');
    await end(other);

    expect((await files.list(JOB)).sort()).toEqual(['Patient-0.ndjson', 'Patient-1.ndjson']);
    await files.remove(JOB, ['Patient-1.ndjson']);
    expect(await files.list(JOB)).toEqual(['Patient-0.ndjson']);

    const again = files.create(JOB, 'Patient-1.ndjson');
    await write(again, 'again\n');
    await end(again);
    const stored = await files.open(JOB, 'Patient-1.ndjson');
    expect(stored?.size).toBe(6);

    await files.remove(JOB);
    expect(await files.list(JOB)).toEqual([]);
    expect(await files.list(OTHER_JOB)).toEqual(['Patient-1.ndjson']);
    expect(await chunks()).toBe(1);
  });
});
