import type { Resource } from 'fhir/r4';
import { MergeStates, ensureMergeStateCollection } from '../../src/merge/state';
import { startTestServer, type TestServer } from '../helpers/server';
import { mergeParameters, patient, store } from './support';

/**
 * After a merge, $everything on the source names where its record went (src/merge/moved-record.ts).
 * The write guard (src/merge/write-guard.ts) on every write path: once merged away, a patient takes no new
 * references and no changes (422 naming where its record went); while a merge holds two patients, nothing touching
 * either record is written (409). AuditEvent and Provenance are never refused.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  await store(server, [patient('g-src'), patient('g-tgt'), patient('g-next'), patient('g-a'), patient('g-b')]);
  expect((await server.json('POST', 'Patient/$merge', mergeParameters('g-src', 'g-tgt'))).status).toBe(200);
});
afterAll(() => server.close());

const observation = (patientId: string) => ({ resourceType: 'Observation', status: 'final', code: { text: 'guarded' }, subject: { reference: `Patient/${patientId}` } });
const diagnostics = (res: { body: any }) => (res.body.issue ?? []).map((i: { diagnostics: string }) => i.diagnostics).join(' | ');

describe('writes after a merge', () => {
  it('refuses a new reference to the merged source, naming the target, on every path', async () => {
    const created = await server.json('POST', 'Observation', observation('g-src'));
    expect({ status: created.status, text: diagnostics(created) }).toEqual({
      status: 422,
      text: 'Patient/g-src was merged into Patient/g-tgt and is inactive: write to Patient/g-tgt instead (or $unmerge it first)',
    });
    const focus = await server.json('POST', 'Observation', { ...observation('g-tgt'), focus: [{ reference: 'Patient/g-src' }] });
    expect(focus.status).toBe(422);
    const bundle = await server.json('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: observation('g-tgt'), request: { method: 'POST', url: 'Observation' } },
        { resource: observation('g-src'), request: { method: 'POST', url: 'Observation' } },
      ],
    });
    expect(bundle.status).toBe(422);
    expect((await server.json('GET', 'Observation?subject=Patient/g-tgt&_summary=count')).body.total).toBe(0);
  });

  it('refuses changing or deleting the merged-away Patient itself', async () => {
    const current = (await server.json('GET', 'Patient/g-src')).body;
    expect((await server.json('PUT', 'Patient/g-src', { ...current, active: true, link: undefined })).status).toBe(422);
    expect((await server.json('DELETE', 'Patient/g-src')).status).toBe(422);
    expect((await server.json('GET', 'Patient/g-src')).body.meta.versionId).toBe(current.meta.versionId);
  });

  it('lets through writes to the target, its replaces link, and the records of what happened', async () => {
    expect((await server.json('POST', 'Observation', observation('g-tgt'))).status).toBe(201);
    const target = (await server.json('GET', 'Patient/g-tgt')).body;
    expect((await server.json('PUT', 'Patient/g-tgt', { ...target, name: [{ family: 'Renamed' }] })).status).toBe(200);
    const provenance = { resourceType: 'Provenance', target: [{ reference: 'Patient/g-src' }], recorded: '2024-01-01T00:00:00Z', agent: [{ who: { display: 'x' } }] };
    expect((await server.json('POST', 'Provenance', provenance)).status).toBe(201);
  });

  it('answers $everything on the merged source with where its record went', async () => {
    const res = await server.json('GET', 'Patient/g-src/$everything');
    expect({ status: res.status, text: diagnostics(res) }).toEqual({
      status: 410,
      text: 'Patient/g-src was merged into Patient/g-tgt: its record is now at Patient/g-tgt/$everything',
    });
    const target = await server.json('GET', 'Patient/g-tgt/$everything');
    expect(target.status).toBe(200);
  });

  it('names the end of a chain: A into B, then B into C', async () => {
    expect((await server.json('POST', 'Patient/$merge', mergeParameters('g-tgt', 'g-next'))).status).toBe(200);
    const res = await server.json('POST', 'Observation', observation('g-src'));
    expect(diagnostics(res)).toBe(
      'Patient/g-src was merged into Patient/g-tgt (itself since merged into Patient/g-next) and is inactive: write to Patient/g-next instead (or $unmerge it first)',
    );
  });
});

describe('writes during a merge', () => {
  it('refuses anything touching either patient while the lock holds, and nothing once it has expired', async () => {
    await ensureMergeStateCollection(server.store.db);
    const states = new MergeStates(server.systemRepo);
    await states.lock('test-merge', 'g-a', 'g-b', 60);
    const refused = await server.json('POST', 'Observation', observation('g-b'));
    expect({ status: refused.status, text: diagnostics(refused) }).toEqual({
      status: 409,
      text: 'Patient/g-b is being merged with Patient/g-a: writes to its record are refused until the merge has finished; try again',
    });
    expect((await server.json('PUT', 'Patient/g-a', patient('g-a'))).status).toBe(409);
    const other = await server.json('POST', 'Patient/$merge', mergeParameters('g-a', 'g-next'));
    expect({ status: other.status, text: diagnostics(other) }).toEqual({
      status: 409,
      text: 'Patient/g-a is being merged with Patient/g-b: try again when that merge has finished',
    });

    // A crashed merge frees the patients when its lock expires.
    await states.lock('test-merge', 'g-a', 'g-b', -1);
    expect((await server.json('POST', 'Observation', observation('g-b'))).status).toBe(201);
    await states.unlock('test-merge', ['g-a', 'g-b']);
  });
});

describe('a write racing a merge across its whole length', () => {
  it('refuses (422) a write whose snapshot predates a merge committed in another connection: it meets the merge on its guard and runs again', async () => {
    await store(server, [patient('w-src'), patient('w-tgt')]);
    let merged: { status: number } | undefined;
    let runs = 0;
    // The write's transaction reads first (its snapshot is taken), then the whole merge runs and commits elsewhere,
    // then the write names the source. Its snapshot cannot see the merge; the guard of the source's record, which
    // the merge flagged, is a write conflict, and the write runs again on a snapshot that sees the merge.
    const write = server.systemRepo.inTransaction(async (tx) => {
      runs++;
      await tx.read('Patient', 'w-src');
      if (runs === 1) merged = await server.json('POST', 'Patient/$merge', mergeParameters('w-src', 'w-tgt'));
      await tx.create('Observation', observation('w-src') as Resource);
    });
    await expect(write).rejects.toMatchObject({
      category: 'unprocessable',
      message: expect.stringMatching(/^Patient\/w-src was merged into Patient\/w-tgt and is inactive/),
    });
    expect(merged?.status).toBe(200);
    expect(runs).toBe(2);
    expect((await server.json('GET', 'Observation?subject=Patient/w-src&_summary=count')).body.total).toBe(0);
    expect((await server.json('GET', 'Observation?subject=Patient/w-tgt&_summary=count')).body.total).toBe(0);
  });

  it('lets a merge that begins while a write naming its source is open wait for it, then move what it wrote', async () => {
    await store(server, [patient('l-src'), patient('l-tgt')]);
    let merging: Promise<{ status: number }> | undefined;
    // A long transaction (a large bundle, say) has written its guard in the source's record: the merge's lock meets
    // it there and runs again until the write has committed, so what the write stored is moved with the record.
    await server.systemRepo.inTransaction(async (tx) => {
      await tx.create('Observation', observation('l-src') as Resource);
      merging ??= server.json('POST', 'Patient/$merge', mergeParameters('l-src', 'l-tgt'));
    });
    expect((await merging)?.status).toBe(200);
    expect((await server.json('GET', 'Observation?subject=Patient/l-src&_summary=count')).body.total).toBe(0);
    expect((await server.json('GET', 'Observation?subject=Patient/l-tgt&_summary=count')).body.total).toBe(1);
  });
});
