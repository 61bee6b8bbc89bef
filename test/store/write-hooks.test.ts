import type { Basic, Patient } from 'fhir/r4';
import { unprocessable } from '../../src/errors/operation-outcome-error';
import type { WriteEvent, WriteHook } from '../../src/store/write-hooks';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * Two hooks of the kind other layers register: one refuses writes of Patients marked `inactive-lock` (as a merged
 * or held record is refused), one keeps a derived Basic per Patient in step (as match keys or tasks are).
 */
const seen: WriteEvent[] = [];
const refuseLocked: WriteHook = {
  name: 'refuse-locked',
  async before(_repo, e) {
    seen.push(e);
    const previous = e.previous?.r ? (JSON.parse(e.previous.r) as Patient) : undefined;
    if (e.type === 'Patient' && previous?.active === false) throw unprocessable(`Patient/${e.id} is locked`);
  },
};
const mirror: WriteHook = {
  name: 'mirror',
  writes: ['Basic'],
  async after(repo, e) {
    if (e.type !== 'Patient') return;
    const basic: Basic = { resourceType: 'Basic', code: { text: e.op }, subject: { reference: `Patient/${e.id}` } };
    const own = repo.privileged();
    if (e.op === 'delete') await own.delete('Basic', `m-${e.id}`);
    else await own.update('Basic', `m-${e.id}`, basic);
    if ((e.resource as Patient | undefined)?.gender === 'unknown') throw unprocessable('roll back after the mirror wrote');
  },
};

describe('write hooks', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({}, (s) => ({ ...s, writeHooks: [refuseLocked, mirror] }));
  });
  afterAll(() => server.close());

  it('runs after-hooks in the write transaction, with the unrestricted policy of the server', async () => {
    const created = await server.json('POST', 'Patient', { resourceType: 'Patient', active: true });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const mirrored = await server.json('GET', `Basic/m-${id}`);
    expect(mirrored.status).toBe(200);
    expect(mirrored.body.code.text).toBe('create');
    expect(seen.find((e) => e.id === id)?.op).toBe('create');
  });

  it('marks a create under an id the server made as fresh, and an update that creates as not', async () => {
    const posted = (await server.json('POST', 'Patient', { resourceType: 'Patient', active: true })).body.id;
    expect(seen.find((e) => e.id === posted)?.fresh).toBe(true);
    const put = await server.json('PUT', 'Patient/client-chosen-id', { resourceType: 'Patient', id: 'client-chosen-id', active: true });
    expect(put.status).toBe(201);
    const event = seen.find((e) => e.id === 'client-chosen-id');
    expect(event?.op).toBe('create');
    expect(event?.fresh).toBeUndefined();
  });

  it('gives before-hooks the version being replaced and refuses the write with their error', async () => {
    const created = await server.json('POST', 'Patient', { resourceType: 'Patient', active: false });
    const id = created.body.id;
    const update = await server.json('PUT', `Patient/${id}`, { resourceType: 'Patient', id, active: true });
    expect(update.status).toBe(422);
    expect(update.body.issue[0].diagnostics).toContain('locked');
    const read = await server.json('GET', `Patient/${id}`);
    expect(read.body.meta.versionId).toBe('1');
    const del = await server.json('DELETE', `Patient/${id}`);
    expect(del.status).toBe(422);
    expect((await server.json('GET', `Patient/${id}`)).status).toBe(200);
  });

  it('rolls back the version and what the hook wrote when an after-hook refuses', async () => {
    const created = await server.json('POST', 'Patient', { resourceType: 'Patient', gender: 'male' });
    const id = created.body.id;
    const update = await server.json('PUT', `Patient/${id}`, { resourceType: 'Patient', id, gender: 'unknown' });
    expect(update.status).toBe(422);
    expect((await server.json('GET', `Patient/${id}`)).body.gender).toBe('male');
    expect((await server.json('GET', `Basic/m-${id}/_history`)).body.entry).toHaveLength(1);
  });

  it('runs for deletes and for bundle entries', async () => {
    const bundle = await server.json('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ fullUrl: 'urn:uuid:7f0c2b9e-1c1a-4f7e-9d55-2f1f1e0f0a01', resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } }],
    });
    expect(bundle.status).toBe(200);
    const id = bundle.body.entry[0].response.location.split('/')[1];
    expect((await server.json('GET', `Basic/m-${id}`)).status).toBe(200);
    expect((await server.json('DELETE', `Patient/${id}`)).status).toBe(200);
    expect((await server.json('GET', `Basic/m-${id}`)).status).toBe(410);
  });
});
