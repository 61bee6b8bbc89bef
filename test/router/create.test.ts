import { etagVersion, expectOutcome, patient, serverForThisFile } from './support';

const server = serverForThisFile();

describe('create (POST [type])', () => {
  it('returns 201 with Location [base]/Patient/[id]/_history/1, ETag W/"1" and Last-Modified', async () => {
    const res = await server().json('POST', 'Patient', patient());
    expect(res.status).toBe(201);
    const id = res.body.id as string;
    expect(id).toMatch(/^[A-Za-z0-9\-.]{1,64}$/);
    expect(res.headers.get('location')).toBe(`${server().baseUrl}/Patient/${id}/_history/1`);
    expect(res.headers.get('etag')).toBe('W/"1"');
    const lastModified = res.headers.get('last-modified');
    expect(lastModified).toBe(new Date(res.body.meta.lastUpdated).toUTCString());
  });

  it('sets meta.versionId to "1" and meta.lastUpdated to a FHIR instant', async () => {
    const before = Date.now();
    const res = await server().json('POST', 'Patient', patient());
    expect(res.body.meta.versionId).toBe('1');
    expect(res.body.meta.lastUpdated).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
    expect(Date.parse(res.body.meta.lastUpdated)).toBeGreaterThanOrEqual(before - 1000);
  });

  it('ignores an id the client put in the body and assigns its own', async () => {
    const res = await server().json('POST', 'Patient', patient({ id: 'chosen-by-client' }));
    expect(res.status).toBe(201);
    expect(res.body.id).not.toBe('chosen-by-client');
    const read = await server().json('GET', 'Patient/chosen-by-client');
    expect(read.status).toBe(404);
  });

  it('replaces client-supplied meta.versionId and lastUpdated but keeps the rest of meta', async () => {
    const meta = { versionId: '77', lastUpdated: '2001-01-01T00:00:00Z', tag: [{ system: 'urn:test', code: 'kept' }] };
    const res = await server().json('POST', 'Patient', patient({ meta }));
    expect(res.body.meta.versionId).toBe('1');
    expect(res.body.meta.lastUpdated).not.toBe('2001-01-01T00:00:00Z');
    expect(res.body.meta.tag).toEqual(meta.tag);
  });

  it('assigns a different id to each created resource', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) ids.add((await server().json('POST', 'Patient', patient())).body.id);
    expect(ids.size).toBe(5);
  });

  it('stores what it returned: a read gives the same resource, version and ETag', async () => {
    const created = await server().json('POST', 'Patient', patient({ birthDate: '1974-12-25' }));
    const read = await server().json('GET', `Patient/${created.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
    expect(etagVersion(read)).toBe(1);
  });

  it('creates resource types other than the five first-class ones (every R4 type goes through the same path)', async () => {
    const observation = {
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
      valueQuantity: { value: 72, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
    };
    const res = await server().json('POST', 'Observation', observation);
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toMatch(/\/Observation\/[^/]+\/_history\/1$/);
  });

  it('returns 400 when the body is a resource of another type than the URL', async () => {
    const res = await server().json('POST', 'Patient', { resourceType: 'Observation', status: 'final', code: { text: 'x' } });
    expectOutcome(res, 400);
    expect(res.body.issue[0].diagnostics).toMatch(/Observation/);
  });

  it('returns 400 when the body has no resourceType', async () => {
    expectOutcome(await server().json('POST', 'Patient', { name: [{ family: 'Nobody' }] }), 400);
  });

  it('returns 400 when there is no body at all', async () => {
    expectOutcome(await server().json('POST', 'Patient'), 400);
  });

  it('returns 400 when the body is JSON but not an object', async () => {
    for (const body of ['[]', 'null', '"Patient"', '42']) {
      expectOutcome(await server().json('POST', 'Patient', body), 400);
    }
  });
});
