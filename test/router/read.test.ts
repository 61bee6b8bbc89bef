import { etagVersion, expectOutcome, patient, put, serverForThisFile } from './support';

const server = serverForThisFile();

describe('read (GET [type]/[id])', () => {
  it('returns 200 with the current version, its ETag and Last-Modified', async () => {
    await put(server(), patient({ id: 'read-1', gender: 'female' }));
    await put(server(), patient({ id: 'read-1', gender: 'male' }));
    const res = await server().json('GET', 'Patient/read-1');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/fhir+json; charset=utf-8');
    expect(res.body).toMatchObject({ resourceType: 'Patient', id: 'read-1', gender: 'male', meta: { versionId: '2' } });
    expect(etagVersion(res)).toBe(2);
    expect(res.headers.get('last-modified')).toBe(new Date(res.body.meta.lastUpdated).toUTCString());
  });

  it('answers HEAD with the headers of a GET and no body', async () => {
    await put(server(), patient({ id: 'read-head' }));
    const res = await server().api('Patient/read-head', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('W/"1"');
    expect(await res.text()).toBe('');
  });

  it('returns 404 with an OperationOutcome for an unknown id', async () => {
    expectOutcome(await server().json('GET', 'Patient/never-created'), 404, 'not-found');
  });

  it('returns 404 for an unknown resource type', async () => {
    expectOutcome(await server().json('GET', 'Patientx/1'), 404, 'not-found');
    expectOutcome(await server().json('GET', 'patient/1'), 404);
  });

  it('returns 404 for an id that is not a valid FHIR id (more than 64 characters, or characters outside [A-Za-z0-9-.])', async () => {
    expectOutcome(await server().json('GET', `Patient/${'a'.repeat(65)}`), 404);
    expectOutcome(await server().json('GET', 'Patient/has_underscore'), 404);
    expectOutcome(await server().json('GET', 'Patient/has%20space'), 404);
  });

  it('does not confuse resources of different types that share an id', async () => {
    await put(server(), patient({ id: 'shared-id' }));
    expectOutcome(await server().json('GET', 'Practitioner/shared-id'), 404);
  });
});

describe('vread (GET [type]/[id]/_history/[vid])', () => {
  beforeAll(async () => {
    await put(server(), patient({ id: 'vread-1', birthDate: '1990-01-01' }));
    await put(server(), patient({ id: 'vread-1', birthDate: '1990-02-02' }));
  });

  it('returns each version as it was written', async () => {
    const v1 = await server().json('GET', 'Patient/vread-1/_history/1');
    const v2 = await server().json('GET', 'Patient/vread-1/_history/2');
    expect([v1.status, v2.status]).toEqual([200, 200]);
    expect(v1.body).toMatchObject({ birthDate: '1990-01-01', meta: { versionId: '1' } });
    expect(v2.body).toMatchObject({ birthDate: '1990-02-02', meta: { versionId: '2' } });
    expect(etagVersion(v1)).toBe(1);
    expect(v1.headers.get('last-modified')).toBe(new Date(v1.body.meta.lastUpdated).toUTCString());
  });

  it('returns the same content for the current version as read does', async () => {
    const read = await server().json('GET', 'Patient/vread-1');
    const vread = await server().json('GET', 'Patient/vread-1/_history/2');
    expect(vread.body).toEqual(read.body);
  });

  it('returns 404 for a version that was never written', async () => {
    expectOutcome(await server().json('GET', 'Patient/vread-1/_history/3'), 404);
    expectOutcome(await server().json('GET', 'Patient/vread-1/_history/0'), 404);
    expectOutcome(await server().json('GET', 'Patient/nobody/_history/1'), 404);
  });

  it('returns 400 for a version id that is not a number', async () => {
    expectOutcome(await server().json('GET', 'Patient/vread-1/_history/latest'), 400);
    expectOutcome(await server().json('GET', `Patient/vread-1/_history/${'9'.repeat(30)}`), 400);
  });
});
