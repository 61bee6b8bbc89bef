import { patient, put, serverForThisFile } from './support';

const server = serverForThisFile();

const prefer = (value: string) => ({ prefer: `return=${value}` });

describe('Prefer: return on create and update', () => {
  it('return=minimal: 201 with Location and ETag and an empty body', async () => {
    const res = await server().api('Patient', {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json', ...prefer('minimal') },
      body: JSON.stringify(patient()),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toMatch(/\/Patient\/[^/]+\/_history\/1$/);
    expect(res.headers.get('etag')).toBe('W/"1"');
    expect(await res.text()).toBe('');
  });

  it('return=representation: the stored resource with server meta', async () => {
    const res = await server().json('POST', 'Patient', patient(), prefer('representation'));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ resourceType: 'Patient', meta: { versionId: '1' } });
  });

  it('return=OperationOutcome: an informational OperationOutcome instead of the resource', async () => {
    const res = await server().json('POST', 'Patient', patient(), prefer('OperationOutcome'));
    expect(res.status).toBe(201);
    expect(res.body.resourceType).toBe('OperationOutcome');
    const severities = res.body.issue.map((i: any) => i.severity);
    expect(severities).toContain('information');
    expect(severities).not.toContain('error');
    expect(res.headers.get('location')).toMatch(/\/_history\/1$/);
  });

  it('defaults to the representation when Prefer is absent or names something else', async () => {
    const none = await server().json('POST', 'Patient', patient());
    const other = await server().json('POST', 'Patient', patient(), { prefer: 'respond-async' });
    expect(none.body.resourceType).toBe('Patient');
    expect(other.body.resourceType).toBe('Patient');
  });

  it('applies to update as well: minimal gives 200 with ETag W/"2" and no body', async () => {
    await put(server(), patient({ id: 'prefer-update' }));
    const res = await server().api('Patient/prefer-update', {
      method: 'PUT',
      headers: { 'content-type': 'application/fhir+json', ...prefer('minimal') },
      body: JSON.stringify(patient({ id: 'prefer-update' })),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('W/"2"');
    expect(await res.text()).toBe('');
  });

  it('applies to patch as well: OperationOutcome instead of the patched resource', async () => {
    await put(server(), patient({ id: 'prefer-patch' }));
    const res = await server().json('PATCH', 'Patient/prefer-patch', [{ op: 'add', path: '/active', value: true }], {
      'content-type': 'application/json-patch+json',
      ...prefer('OperationOutcome'),
    });
    expect(res.status).toBe(200);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect((await server().json('GET', 'Patient/prefer-patch')).body.active).toBe(true);
  });

  it('is understood among other preferences in the same header', async () => {
    const res = await server().json('POST', 'Patient', patient(), { prefer: 'handling=strict, return=OperationOutcome' });
    expect(res.body.resourceType).toBe('OperationOutcome');
  });
});
