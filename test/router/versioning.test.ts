import { etagVersion, expectOutcome, patient, put, serverForThisFile } from './support';

const server = serverForThisFile();

const putIfMatch = (id: string, ifMatch: string, fields: Record<string, unknown> = {}) =>
  server().json('PUT', `Patient/${id}`, patient({ id, ...fields }), { 'if-match': ifMatch });

describe('If-Match on update (version-aware updates)', () => {
  it('returns 412 when If-Match names a version that is no longer current, and stores nothing', async () => {
    await put(server(), patient({ id: 'ver-stale' }));
    await put(server(), patient({ id: 'ver-stale' }));
    const res = await putIfMatch('ver-stale', 'W/"1"', { gender: 'female' });
    expectOutcome(res, 412);
    const read = await server().json('GET', 'Patient/ver-stale');
    expect([read.body.meta.versionId, read.body.gender]).toEqual(['2', 'male']);
  });

  it('returns 200 with the next version when If-Match names the current version', async () => {
    await put(server(), patient({ id: 'ver-current' }));
    const res = await putIfMatch('ver-current', 'W/"1"', { gender: 'female' });
    expect(res.status).toBe(200);
    expect(etagVersion(res)).toBe(2);
  });

  it('accepts a strong ETag form "n" for the same version', async () => {
    await put(server(), patient({ id: 'ver-strong' }));
    expect((await putIfMatch('ver-strong', '"1"')).status).toBe(200);
  });

  it('returns 412 for an If-Match that is not a version this server issued', async () => {
    await put(server(), patient({ id: 'ver-garbage' }));
    for (const value of ['W/"abc"', 'yesterday', '"-1"']) {
      expectOutcome(await putIfMatch('ver-garbage', value), 412);
    }
    expect((await server().json('GET', 'Patient/ver-garbage')).body.meta.versionId).toBe('1');
  });

  it('returns 412 when If-Match is given for a resource that does not exist yet', async () => {
    expectOutcome(await putIfMatch('ver-absent', 'W/"1"'), 412);
    expect((await server().json('GET', 'Patient/ver-absent')).status).toBe(404);
  });

  it('the ETag of one response is the If-Match of the next: a read-modify-write cycle works', async () => {
    await put(server(), patient({ id: 'ver-cycle' }));
    for (let i = 0; i < 3; i++) {
      const read = await server().json('GET', 'Patient/ver-cycle');
      const res = await putIfMatch('ver-cycle', read.headers.get('etag') as string, { birthDate: `200${i}-01-01` });
      expect(res.status).toBe(200);
    }
    expect((await server().json('GET', 'Patient/ver-cycle')).body.meta.versionId).toBe('4');
  });
});

describe('conditional read (If-None-Match, If-Modified-Since)', () => {
  beforeAll(async () => {
    await put(server(), patient({ id: 'ver-read' }));
    await put(server(), patient({ id: 'ver-read', active: true }));
  });

  it('returns 304 without a body when If-None-Match names the current version', async () => {
    const res = await server().api('Patient/ver-read', { headers: { 'if-none-match': 'W/"2"' } });
    expect(res.status).toBe(304);
    expect(await res.text()).toBe('');
  });

  it('returns 200 with the resource when If-None-Match names an older version', async () => {
    const res = await server().json('GET', 'Patient/ver-read', undefined, { 'if-none-match': 'W/"1"' });
    expect(res.status).toBe(200);
    expect(res.body.meta.versionId).toBe('2');
  });

  it('returns 304 when the resource was not modified since the given date', async () => {
    const lastModified = (await server().api('Patient/ver-read')).headers.get('last-modified') as string;
    const res = await server().api('Patient/ver-read', { headers: { 'if-modified-since': lastModified } });
    expect(res.status).toBe(304);
    const later = new Date(Date.parse(lastModified) + 60_000).toUTCString();
    expect((await server().api('Patient/ver-read', { headers: { 'if-modified-since': later } })).status).toBe(304);
  });

  it('returns 200 when the resource was modified after the given date', async () => {
    const earlier = new Date(Date.now() - 24 * 3600_000).toUTCString();
    const res = await server().json('GET', 'Patient/ver-read', undefined, { 'if-modified-since': earlier });
    expect(res.status).toBe(200);
  });

  it('lets If-None-Match win over If-Modified-Since when both are sent', async () => {
    const future = new Date(Date.now() + 24 * 3600_000).toUTCString();
    const res = await server().api('Patient/ver-read', { headers: { 'if-none-match': 'W/"1"', 'if-modified-since': future } });
    expect(res.status).toBe(200);
  });

  it('ignores an If-Modified-Since that is not a date', async () => {
    const res = await server().api('Patient/ver-read', { headers: { 'if-modified-since': 'not a date' } });
    expect(res.status).toBe(200);
  });

  it('applies If-None-Match to vread too', async () => {
    const res = await server().api('Patient/ver-read/_history/1', { headers: { 'if-none-match': 'W/"1"' } });
    expect(res.status).toBe(304);
  });
});
