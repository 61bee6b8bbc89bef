import { MongoClient } from 'mongodb';
import { startEmbeddedMongo, type EmbeddedMongo } from '@fhirstone/embedded-mongo';
import type { ExportJob } from '../../src/bulk/export-job';
import { JobStore } from '../../src/jobs/job-store';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function newJob(id: string, createdAt = new Date()): Omit<ExportJob, 'leaseUntil' | 'processed' | 'status'> {
  return {
    _id: id,
    kind: 'export',
    checkpoint: { typeIndex: 0, files: [] },
    request: 'http://x/fhir/$export',
    transactionTime: createdAt,
    createdAt,
    expiresAt: new Date(createdAt.getTime() + 60_000),
    owner: { open: true },
    plan: { level: 'system', types: ['Patient'], anyPatient: false, until: createdAt, typeFilters: {}, restrictions: {}, warnings: [] },
  };
}

describe('job leases', () => {
  let mongo: EmbeddedMongo;
  let client: MongoClient;
  let jobs: JobStore;
  beforeAll(async () => {
    mongo = process.env.MONGODB_URI ? ({ uri: process.env.MONGODB_URI, stop: async () => undefined } as EmbeddedMongo) : await startEmbeddedMongo({});
    client = await new MongoClient(mongo.uri).connect();
  });
  beforeEach(async () => {
    jobs = new JobStore(client.db(`jobs_${Math.random().toString(36).slice(2, 8)}`));
    await jobs.init();
  });
  afterAll(async () => {
    await client.close();
    await mongo.stop();
  });

  it('gives a queued job to one instance only while its lease is renewed', async () => {
    await jobs.insert(newJob('j1'));
    const a = await jobs.claim('A', 60_000);
    expect(a?._id).toBe('j1');
    expect(a?.status).toBe('running');
    expect(await jobs.claim('B', 60_000)).toBeNull();
    expect(await jobs.renew('j1', 'B', 60_000)).toBe(false);
    expect(await jobs.renew('j1', 'A', 60_000)).toBe(true);
  });

  it('lets another instance take over a job whose lease expired, and the old owner can no longer write', async () => {
    await jobs.insert(newJob('j1'));
    await jobs.claim('A', 1);
    await sleep(10);
    expect((await jobs.claim('B', 60_000))?._id).toBe('j1');
    expect(await jobs.checkpoint('j1', 'A', { typeIndex: 1, files: [] }, 5, 60_000)).toBe(false);
    expect(await jobs.finish('j1', 'A', { status: 'completed' })).toBe(false);
    expect(await jobs.checkpoint('j1', 'B', { typeIndex: 1, files: [] }, 5, 60_000)).toBe(true);
  });

  it('hands a released job to the next instance at once, with its checkpoint', async () => {
    await jobs.insert(newJob('j1'));
    await jobs.claim('A', 60_000);
    await jobs.checkpoint('j1', 'A', { typeIndex: 0, afterId: 'p9', files: [{ name: 'Patient-1.ndjson', type: 'Patient', kind: 'output', count: 2 }] }, 2, 60_000);
    await jobs.release('j1', 'A');
    const b = (await jobs.claim('B', 60_000)) as ExportJob | null;
    expect(b?.checkpoint.afterId).toBe('p9');
    expect(b?.processed).toBe(2);
  });

  it('keeps a released job claimable when a renewal of the old owner arrives after the release', async () => {
    await jobs.insert(newJob('j1'));
    await jobs.claim('A', 60_000);
    await jobs.release('j1', 'A');
    expect(await jobs.renew('j1', 'A', 60_000)).toBe(false);
    expect((await jobs.claim('B', 60_000))?._id).toBe('j1');
  });

  it('claims the oldest job first and never a cancelled or completed one', async () => {
    await jobs.insert(newJob('late', new Date(Date.now() + 1000)));
    await jobs.insert(newJob('early', new Date(Date.now() - 1000)));
    await jobs.insert(newJob('cancelled', new Date(Date.now() - 2000)));
    await jobs.cancel('cancelled');
    expect((await jobs.claim('A', 60_000))?._id).toBe('early');
    expect((await jobs.claim('A', 60_000))?._id).toBe('late');
    expect(await jobs.claim('A', 60_000)).toBeNull();
  });

  it('stops a renewal once the job is cancelled, which is how a running worker learns of it', async () => {
    await jobs.insert(newJob('j1'));
    await jobs.claim('A', 60_000);
    expect((await jobs.cancel('j1'))?.status).toBe('running');
    expect(await jobs.renew('j1', 'A', 60_000)).toBe(false);
  });
  it('names for the sweep, by id, the jobs past their expiry that no worker runs, and cancelled ones no worker holds', async () => {
    // Created two minutes ago, one after the other, so each claim takes the next; they expired a minute ago.
    const ago = (ms: number) => new Date(Date.now() - 120_000 + ms);
    for (const [i, id] of ['done', 'failed', 'running'].entries()) await jobs.insert(newJob(id, ago(i)));
    expect((await jobs.claim('B', 60_000))?._id).toBe('done');
    expect((await jobs.claim('B', 60_000))?._id).toBe('failed');
    expect((await jobs.claim('A', 60_000))?._id).toBe('running');
    expect(await jobs.finish('done', 'B', { status: 'completed' })).toBe(true);
    expect(await jobs.finish('failed', 'B', { status: 'failed' })).toBe(true);
    await jobs.insert(newJob('fresh'));
    await jobs.insert(newJob('cancelled'));
    await jobs.cancel('cancelled');
    expect((await jobs.disposable()).sort()).toEqual(['cancelled', 'done', 'failed']);
  });
});
