import { etagVersion, expectOutcome, patient, put, serverForThisFile } from './support';

const server = serverForThisFile();

describe('update (PUT [type]/[id])', () => {
  it('returns 200 with version 2, a new ETag and Last-Modified, and no Location', async () => {
    await put(server(), patient({ id: 'upd-1' }));
    const res = await server().json('PUT', 'Patient/upd-1', patient({ id: 'upd-1', gender: 'female' }));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: 'upd-1', gender: 'female', meta: { versionId: '2' } });
    expect(etagVersion(res)).toBe(2);
    expect(res.headers.get('last-modified')).toBe(new Date(res.body.meta.lastUpdated).toUTCString());
  });

  it('replaces the whole resource: elements left out of the new body are gone', async () => {
    await put(server(), patient({ id: 'upd-replace', birthDate: '1980-05-05', active: true }));
    await put(server(), patient({ id: 'upd-replace' }));
    const read = await server().json('GET', 'Patient/upd-replace');
    expect(read.body.birthDate).toBeUndefined();
    expect(read.body.active).toBeUndefined();
  });

  it('never moves meta.lastUpdated backwards between versions', async () => {
    const v1 = await put(server(), patient({ id: 'upd-time' }));
    const v2 = await put(server(), patient({ id: 'upd-time', active: false }));
    expect(Date.parse(v2.meta.lastUpdated)).toBeGreaterThanOrEqual(Date.parse(v1.meta.lastUpdated));
  });

  it('ignores a client meta.versionId in the body (only If-Match expresses the expected version)', async () => {
    await put(server(), patient({ id: 'upd-meta' }));
    const res = await server().json('PUT', 'Patient/upd-meta', patient({ id: 'upd-meta', meta: { versionId: '99' } }));
    expect(res.status).toBe(200);
    expect(res.body.meta.versionId).toBe('2');
  });

  it('counts versions per resource, independently of other resources', async () => {
    await put(server(), patient({ id: 'upd-a' }));
    await put(server(), patient({ id: 'upd-a' }));
    await put(server(), patient({ id: 'upd-a' }));
    const b = await server().json('PUT', 'Patient/upd-b', patient({ id: 'upd-b' }));
    expect(b.body.meta.versionId).toBe('1');
  });

  it('returns 400 when the body id differs from the id in the URL', async () => {
    await put(server(), patient({ id: 'upd-mismatch' }));
    const res = await server().json('PUT', 'Patient/upd-mismatch', patient({ id: 'someone-else' }));
    expectOutcome(res, 400);
    expect((await server().json('GET', 'Patient/someone-else')).status).toBe(404);
  });

  it('returns 400 when the body has no id', async () => {
    expectOutcome(await server().json('PUT', 'Patient/upd-noid', patient()), 400);
  });

  it('returns 400 when the body is another resource type than the URL', async () => {
    const res = await server().json('PUT', 'Patient/upd-type', { resourceType: 'Practitioner', id: 'upd-type' });
    expectOutcome(res, 400);
  });

  it('returns 400 for malformed JSON and keeps the stored version unchanged', async () => {
    await put(server(), patient({ id: 'upd-malformed' }));
    expectOutcome(await server().json('PUT', 'Patient/upd-malformed', '{"resourceType": "Patient", "id": '), 400);
    expect((await server().json('GET', 'Patient/upd-malformed')).body.meta.versionId).toBe('1');
  });
});

describe('update as create (PUT [type]/[id] for a new id)', () => {
  it('returns 201 and keeps the id the client chose', async () => {
    const res = await server().json('PUT', 'Patient/client-chosen-1', patient({ id: 'client-chosen-1' }));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ id: 'client-chosen-1', meta: { versionId: '1' } });
    expect(res.headers.get('location')).toBe(`${server().baseUrl}/Patient/client-chosen-1/_history/1`);
    expect(res.headers.get('etag')).toBe('W/"1"');
  });

  it('accepts ids of exactly 64 characters from the allowed alphabet', async () => {
    const id = `A-z.0${'9'.repeat(59)}`;
    expect(id).toHaveLength(64);
    const res = await server().json('PUT', `Patient/${id}`, patient({ id }));
    expect(res.status).toBe(201);
    expect((await server().json('GET', `Patient/${id}`)).body.id).toBe(id);
  });

  it('returns 404 for a URL id that is not a valid FHIR id, creating nothing', async () => {
    const id = 'not_valid';
    expectOutcome(await server().json('PUT', `Patient/${id}`, patient({ id })), 404);
  });

  it('creates a new resource after a deletion, continuing the version count', async () => {
    await put(server(), patient({ id: 'upd-revive' }));
    expect((await server().json('DELETE', 'Patient/upd-revive')).status).toBeLessThan(300);
    const res = await server().json('PUT', 'Patient/upd-revive', patient({ id: 'upd-revive' }));
    expect(res.status).toBe(201);
    expect(res.body.meta.versionId).toBe('3');
    expect((await server().json('GET', 'Patient/upd-revive')).status).toBe(200);
  });
});

describe('PUT without an id in the URL', () => {
  it('is a conditional update and needs search parameters: 400 without any', async () => {
    expectOutcome(await server().json('PUT', 'Patient', patient()), 400);
  });
});
