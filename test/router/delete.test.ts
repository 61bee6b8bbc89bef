import { expectOutcome, patient, put, serverForThisFile } from './support';

const server = serverForThisFile();

const isSuccess = (status: number) => status === 200 || status === 204;

describe('delete (DELETE [type]/[id])', () => {
  it('answers 200 or 204, with the deletion version as ETag', async () => {
    await put(server(), patient({ id: 'del-1' }));
    const res = await server().json('DELETE', 'Patient/del-1');
    expect(isSuccess(res.status)).toBe(true);
    expect(res.headers.get('etag')).toBe('W/"2"');
    if (res.status === 200) expect(res.body.resourceType).toBe('OperationOutcome');
  });

  it('makes a read of the deleted resource 410 Gone with an OperationOutcome', async () => {
    await put(server(), patient({ id: 'del-gone' }));
    await server().json('DELETE', 'Patient/del-gone');
    expectOutcome(await server().json('GET', 'Patient/del-gone'), 410);
  });

  it('makes a vread of the deletion version 410 Gone, while earlier versions stay readable', async () => {
    await put(server(), patient({ id: 'del-versions', gender: 'female' }));
    await put(server(), patient({ id: 'del-versions', gender: 'male' }));
    await server().json('DELETE', 'Patient/del-versions');
    expectOutcome(await server().json('GET', 'Patient/del-versions/_history/3'), 410);
    const v1 = await server().json('GET', 'Patient/del-versions/_history/1');
    const v2 = await server().json('GET', 'Patient/del-versions/_history/2');
    expect([v1.status, v1.body.gender]).toEqual([200, 'female']);
    expect([v2.status, v2.body.gender]).toEqual([200, 'male']);
  });

  it('is idempotent: deleting again succeeds and adds no version', async () => {
    await put(server(), patient({ id: 'del-twice' }));
    await server().json('DELETE', 'Patient/del-twice');
    const again = await server().json('DELETE', 'Patient/del-twice');
    expect(isSuccess(again.status)).toBe(true);
    const history = await server().json('GET', 'Patient/del-twice/_history');
    expect(history.body.entry).toHaveLength(2);
  });

  it('succeeds for a resource that never existed', async () => {
    const res = await server().json('DELETE', 'Patient/never-there');
    expect(isSuccess(res.status)).toBe(true);
    expect((await server().json('GET', 'Patient/never-there')).status).toBe(404);
  });

  it('deletes only the addressed resource', async () => {
    await put(server(), patient({ id: 'del-neighbour-a' }));
    await put(server(), patient({ id: 'del-neighbour-b' }));
    await server().json('DELETE', 'Patient/del-neighbour-a');
    expect((await server().json('GET', 'Patient/del-neighbour-b')).status).toBe(200);
  });

  it('honours If-Match: 412 on a stale version, leaving the resource in place', async () => {
    await put(server(), patient({ id: 'del-ifmatch' }));
    await put(server(), patient({ id: 'del-ifmatch' }));
    expectOutcome(await server().json('DELETE', 'Patient/del-ifmatch', undefined, { 'if-match': 'W/"1"' }), 412);
    expect((await server().json('GET', 'Patient/del-ifmatch')).status).toBe(200);
    const ok = await server().json('DELETE', 'Patient/del-ifmatch', undefined, { 'if-match': 'W/"2"' });
    expect(isSuccess(ok.status)).toBe(true);
    expect((await server().json('GET', 'Patient/del-ifmatch')).status).toBe(410);
  });

  it('returns 404 for an invalid id or unknown type rather than pretending to delete', async () => {
    expectOutcome(await server().json('DELETE', 'Patient/bad_id'), 404);
    expectOutcome(await server().json('DELETE', 'NotAType/1'), 404);
  });

  it('DELETE [type] without search parameters is 400: it would be a conditional delete of everything', async () => {
    await put(server(), patient({ id: 'del-survivor' }));
    expectOutcome(await server().json('DELETE', 'Patient'), 400);
    expect((await server().json('GET', 'Patient/del-survivor')).status).toBe(200);
  });
});
