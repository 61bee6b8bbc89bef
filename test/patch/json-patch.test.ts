import { etagVersion, expectOutcome, patient, put, serverForThisFile } from '../router/support';

const server = serverForThisFile();

const JSON_PATCH = { 'content-type': 'application/json-patch+json' };
const jsonPatch = (id: string, ops: unknown, headers: Record<string, string> = {}) => server().json('PATCH', `Patient/${id}`, ops, { ...JSON_PATCH, ...headers });

const base = (id: string) => patient({ id, active: true, identifier: [{ system: 'urn:mrn', value: '1' }], telecom: [{ system: 'phone', value: '555-0100' }] });

describe('JSON Patch (PATCH [type]/[id], application/json-patch+json)', () => {
  it('applies add, replace and remove in order and returns 200 with the next version', async () => {
    await put(server(), base('jp-ops'));
    const res = await jsonPatch('jp-ops', [
      { op: 'add', path: '/birthDate', value: '1974-12-25' },
      { op: 'replace', path: '/gender', value: 'female' },
      { op: 'remove', path: '/telecom' },
      { op: 'add', path: '/identifier/-', value: { system: 'urn:mrn', value: '2' } },
    ]);
    expect(res.status).toBe(200);
    expect(etagVersion(res)).toBe(2);
    expect(res.body).toMatchObject({ birthDate: '1974-12-25', gender: 'female', meta: { versionId: '2' } });
    expect(res.body.telecom).toBeUndefined();
    expect(res.body.identifier.map((i: any) => i.value)).toEqual(['1', '2']);
    expect((await server().json('GET', 'Patient/jp-ops')).body).toEqual(res.body);
  });

  it('applies move and copy', async () => {
    await put(server(), base('jp-move'));
    const res = await jsonPatch('jp-move', [
      { op: 'copy', from: '/identifier/0', path: '/identifier/-' },
      { op: 'move', from: '/telecom/0', path: '/telecom/0' },
    ]);
    expect(res.status).toBe(200);
    expect(res.body.identifier).toHaveLength(2);
  });

  it('applies the patch when every test operation holds', async () => {
    await put(server(), base('jp-test-ok'));
    const res = await jsonPatch('jp-test-ok', [
      { op: 'test', path: '/active', value: true },
      { op: 'replace', path: '/active', value: false },
    ]);
    expect([res.status, res.body.active]).toEqual([200, false]);
  });

  it('returns 422 when a test operation fails, and stores nothing', async () => {
    await put(server(), base('jp-test-fail'));
    const res = await jsonPatch('jp-test-fail', [
      { op: 'replace', path: '/gender', value: 'female' },
      { op: 'test', path: '/active', value: false },
    ]);
    expectOutcome(res, 422);
    const read = await server().json('GET', 'Patient/jp-test-fail');
    expect([read.body.meta.versionId, read.body.gender]).toEqual(['1', 'male']);
  });

  it('returns 422 when a well-formed operation addresses an element this resource does not have', async () => {
    await put(server(), base('jp-missing'));
    expectOutcome(await jsonPatch('jp-missing', [{ op: 'remove', path: '/maritalStatus' }]), 422);
    expectOutcome(await jsonPatch('jp-missing', [{ op: 'replace', path: '/name/5/family', value: 'X' }]), 422);
  });

  it('returns 400 for a patch document that is not a JSON Patch', async () => {
    await put(server(), base('jp-invalid'));
    const invalid: unknown[] = [
      { op: 'add', path: '/active', value: false },
      [{ op: 'explode', path: '/active' }],
      [{ op: 'add', value: false }],
      [{ op: 'add', path: 'active', value: false }],
      [{ op: 'add', path: '/active' }],
      [{ op: 'move', path: '/active' }],
      [42],
    ];
    for (const ops of invalid) expectOutcome(await jsonPatch('jp-invalid', ops), 400);
    expect((await server().json('GET', 'Patient/jp-invalid')).body.meta.versionId).toBe('1');
  });

  it('returns 400 for a body that is not JSON', async () => {
    await put(server(), base('jp-text'));
    expectOutcome(await jsonPatch('jp-text', '[{"op": "add", '), 400);
  });

  it('refuses to change the resource id or type', async () => {
    await put(server(), base('jp-id'));
    const id = await jsonPatch('jp-id', [{ op: 'replace', path: '/id', value: 'other' }]);
    const type = await jsonPatch('jp-id', [{ op: 'replace', path: '/resourceType', value: 'Practitioner' }]);
    expect([400, 422]).toContain(id.status);
    expect([400, 422]).toContain(type.status);
    expect((await server().json('GET', 'Patient/other')).status).toBe(404);
  });

  it('cannot overwrite server-owned meta.versionId: the stored version is the next one regardless', async () => {
    await put(server(), base('jp-meta'));
    const res = await jsonPatch('jp-meta', [{ op: 'replace', path: '/meta/versionId', value: '50' }]);
    expect(res.status).toBe(200);
    expect(res.body.meta.versionId).toBe('2');
  });

  it('honours If-Match: 412 on a stale version, 200 on the current one', async () => {
    await put(server(), base('jp-ifmatch'));
    await put(server(), base('jp-ifmatch'));
    const ops = [{ op: 'replace', path: '/active', value: false }];
    expectOutcome(await jsonPatch('jp-ifmatch', ops, { 'if-match': 'W/"1"' }), 412);
    expect((await jsonPatch('jp-ifmatch', ops, { 'if-match': 'W/"2"' })).status).toBe(200);
  });

  it('returns 404 for an unknown resource and 410 for a deleted one', async () => {
    const ops = [{ op: 'replace', path: '/active', value: false }];
    expectOutcome(await jsonPatch('jp-nobody', ops), 404);
    await put(server(), base('jp-deleted'));
    await server().json('DELETE', 'Patient/jp-deleted');
    expectOutcome(await jsonPatch('jp-deleted', ops), 410);
  });

  it('records the patch in history as a PATCH', async () => {
    await put(server(), base('jp-history'));
    await jsonPatch('jp-history', [{ op: 'add', path: '/birthDate', value: '2000-01-01' }]);
    const history = await server().json('GET', 'Patient/jp-history/_history');
    expect(history.body.entry[0].request.method).toBe('PATCH');
  });

  it('returns 415 for an array body sent as plain application/json (neither JSON Patch nor FHIRPath Patch)', async () => {
    await put(server(), base('jp-media'));
    const res = await server().json('PATCH', 'Patient/jp-media', [{ op: 'add', path: '/active', value: false }], {
      'content-type': 'application/json',
    });
    expectOutcome(res, 415);
  });

  it('is not allowed on a type or on a version: 405', async () => {
    expectOutcome(await server().json('PATCH', 'Patient', [], JSON_PATCH), 405);
    await put(server(), base('jp-405'));
    expectOutcome(await server().json('PATCH', 'Patient/jp-405/_history/1', [], JSON_PATCH), 405);
  });
});
