import { expectOutcome, patient, put, serverForThisFile, uniqueSystem } from './support';

const server = serverForThisFile();

/** A Patient carrying identifier system|value, optionally stored first with a client id. */
const withIdentifier = (system: string, value: string, fields: Record<string, unknown> = {}) => patient({ identifier: [{ system, value }], ...fields });

const q = (system: string, value: string) => `identifier=${encodeURIComponent(`${system}|${value}`)}`;

describe('conditional create (POST with If-None-Exist)', () => {
  it('creates the resource (201) when nothing matches', async () => {
    const system = uniqueSystem();
    const res = await server().json('POST', 'Patient', withIdentifier(system, 'a'), { 'if-none-exist': q(system, 'a') });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toMatch(/\/Patient\/[^/]+\/_history\/1$/);
  });

  it('returns 200 with the existing resource and creates nothing when exactly one matches', async () => {
    const system = uniqueSystem();
    await put(server(), withIdentifier(system, 'b', { id: 'cond-create-existing' }));
    const res = await server().json('POST', 'Patient', withIdentifier(system, 'b', { gender: 'female' }), {
      'if-none-exist': q(system, 'b'),
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: 'cond-create-existing', gender: 'male', meta: { versionId: '1' } });
    expect(res.headers.get('etag')).toBe('W/"1"');
  });

  it('points Location at the existing resource and honours Prefer: return=minimal when one matches', async () => {
    const system = uniqueSystem();
    await put(server(), withIdentifier(system, 'm', { id: 'cond-create-minimal' }));
    const res = await server().json('POST', 'Patient', withIdentifier(system, 'm'), { 'if-none-exist': q(system, 'm'), prefer: 'return=minimal' });
    expect(res.status).toBe(200);
    expect(res.headers.get('location')).toMatch(/\/Patient\/cond-create-minimal\/_history\/1$/);
    expect(res.body).toBeFalsy();
  });

  it('is idempotent: the same conditional create twice leaves one resource', async () => {
    const system = uniqueSystem();
    const headers = { 'if-none-exist': q(system, 'twice') };
    const first = await server().json('POST', 'Patient', withIdentifier(system, 'twice'), headers);
    const second = await server().json('POST', 'Patient', withIdentifier(system, 'twice'), headers);
    expect([first.status, second.status]).toEqual([201, 200]);
    expect(second.body.id).toBe(first.body.id);
  });

  it('accepts an If-None-Exist value written with a leading "?"', async () => {
    const system = uniqueSystem();
    await put(server(), withIdentifier(system, 'qmark', { id: 'cond-create-qmark' }));
    const res = await server().json('POST', 'Patient', withIdentifier(system, 'qmark'), { 'if-none-exist': `?${q(system, 'qmark')}` });
    expect([res.status, res.body.id]).toEqual([200, 'cond-create-qmark']);
  });

  it('returns 412 when more than one resource matches', async () => {
    const system = uniqueSystem();
    await put(server(), withIdentifier(system, 'dup', { id: 'cond-create-dup-1' }));
    await put(server(), withIdentifier(system, 'dup', { id: 'cond-create-dup-2' }));
    const res = await server().json('POST', 'Patient', withIdentifier(system, 'dup'), { 'if-none-exist': q(system, 'dup') });
    expectOutcome(res, 412);
  });

  it('returns 400 for an empty If-None-Exist', async () => {
    expectOutcome(await server().json('POST', 'Patient', patient(), { 'if-none-exist': ' ' }), 400);
  });
});

describe('conditional update (PUT [type]?search)', () => {
  it('creates the resource (201) when nothing matches', async () => {
    const system = uniqueSystem();
    const res = await server().json('PUT', `Patient?${q(system, 'new')}`, withIdentifier(system, 'new'));
    expect(res.status).toBe(201);
    const location = res.headers.get('location') as string;
    const read = await server().json('GET', location.slice(server().baseUrl.length + 1).split('/_history')[0]);
    expect(read.body.identifier).toEqual([{ system, value: 'new' }]);
  });

  it('creates with the id from the body when nothing matches and the body has one', async () => {
    const system = uniqueSystem();
    const res = await server().json('PUT', `Patient?${q(system, 'cid')}`, withIdentifier(system, 'cid', { id: 'cond-update-cid' }));
    expect([res.status, res.body.id]).toEqual([201, 'cond-update-cid']);
  });

  it('updates the single match (200, next version), even without an id in the body', async () => {
    const system = uniqueSystem();
    await put(server(), withIdentifier(system, 'one', { id: 'cond-update-one' }));
    const res = await server().json('PUT', `Patient?${q(system, 'one')}`, withIdentifier(system, 'one', { gender: 'female' }));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: 'cond-update-one', gender: 'female', meta: { versionId: '2' } });
  });

  it('returns 400 when the body id differs from the single match', async () => {
    const system = uniqueSystem();
    await put(server(), withIdentifier(system, 'other', { id: 'cond-update-other' }));
    const res = await server().json('PUT', `Patient?${q(system, 'other')}`, withIdentifier(system, 'other', { id: 'not-the-match' }));
    expectOutcome(res, 400);
  });

  it('returns 412 when more than one resource matches, changing none', async () => {
    const system = uniqueSystem();
    await put(server(), withIdentifier(system, 'many', { id: 'cond-update-many-1' }));
    await put(server(), withIdentifier(system, 'many', { id: 'cond-update-many-2' }));
    expectOutcome(await server().json('PUT', `Patient?${q(system, 'many')}`, withIdentifier(system, 'many', { gender: 'other' })), 412);
    expect((await server().json('GET', 'Patient/cond-update-many-1')).body.meta.versionId).toBe('1');
  });

  it('honours If-Match on the matched resource', async () => {
    const system = uniqueSystem();
    await put(server(), withIdentifier(system, 'im', { id: 'cond-update-ifmatch' }));
    await put(server(), withIdentifier(system, 'im', { id: 'cond-update-ifmatch' }));
    const res = await server().json('PUT', `Patient?${q(system, 'im')}`, withIdentifier(system, 'im'), { 'if-match': 'W/"1"' });
    expectOutcome(res, 412);
  });
});

describe('conditional delete (DELETE [type]?search)', () => {
  it('deletes the single match, which then reads as 410 Gone', async () => {
    const system = uniqueSystem();
    await put(server(), withIdentifier(system, 'del', { id: 'cond-delete-one' }));
    const res = await server().json('DELETE', `Patient?${q(system, 'del')}`);
    expect([200, 204]).toContain(res.status);
    expectOutcome(await server().json('GET', 'Patient/cond-delete-one'), 410);
  });

  it('succeeds and deletes nothing when nothing matches', async () => {
    const system = uniqueSystem();
    await put(server(), withIdentifier(system, 'kept', { id: 'cond-delete-kept' }));
    const res = await server().json('DELETE', `Patient?${q(system, 'absent')}`);
    expect([200, 204]).toContain(res.status);
    expect((await server().json('GET', 'Patient/cond-delete-kept')).status).toBe(200);
  });

  it('returns 412 when more than one resource matches, deleting none', async () => {
    const system = uniqueSystem();
    await put(server(), withIdentifier(system, 'two', { id: 'cond-delete-two-1' }));
    await put(server(), withIdentifier(system, 'two', { id: 'cond-delete-two-2' }));
    expectOutcome(await server().json('DELETE', `Patient?${q(system, 'two')}`), 412);
    expect((await server().json('GET', 'Patient/cond-delete-two-1')).status).toBe(200);
    expect((await server().json('GET', 'Patient/cond-delete-two-2')).status).toBe(200);
  });

  it('does not count deleted resources as matches', async () => {
    const system = uniqueSystem();
    await put(server(), withIdentifier(system, 'gone', { id: 'cond-delete-gone-1' }));
    await put(server(), withIdentifier(system, 'gone', { id: 'cond-delete-gone-2' }));
    await server().json('DELETE', 'Patient/cond-delete-gone-1');
    const res = await server().json('DELETE', `Patient?${q(system, 'gone')}`);
    expect([200, 204]).toContain(res.status);
    expectOutcome(await server().json('GET', 'Patient/cond-delete-gone-2'), 410);
  });
});

describe('conditions the server does not understand', () => {
  it('are refused with 400, never treated as "match everything"', async () => {
    await put(server(), patient({ id: 'cond-unknown-param' }));
    const typo = 'identifer=urn:x|1';
    expectOutcome(await server().json('POST', 'Patient', patient(), { 'if-none-exist': typo }), 400);
    expectOutcome(await server().json('PUT', `Patient?${typo}`, patient()), 400);
    expectOutcome(await server().json('DELETE', `Patient?${typo}`), 400);
    expect((await server().json('GET', 'Patient/cond-unknown-param')).body.meta.versionId).toBe('1');
  });
});
