import { allPages, patient, put, serverForThisFile } from './support';

const server = serverForThisFile();

const N = 12;

const countBy = (statuses: number[]) => statuses.reduce<Record<number, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});

describe('concurrent updates', () => {
  it(`of ${N} parallel PUTs with the same If-Match, exactly one wins (200) and the others get 412`, async () => {
    await put(server(), patient({ id: 'race-ifmatch' }));
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        server().json('PUT', 'Patient/race-ifmatch', patient({ id: 'race-ifmatch', birthDate: `19${10 + i}-01-01` }), {
          'if-match': 'W/"1"',
        }),
      ),
    );
    expect(countBy(results.map((r) => r.status))).toEqual({ 200: 1, 412: N - 1 });
    const winner = results.find((r) => r.status === 200)!;
    const read = await server().json('GET', 'Patient/race-ifmatch');
    expect(read.body).toEqual(winner.body);
    expect(read.body.meta.versionId).toBe('2');
  });

  it(`loses no update: ${N} parallel PUTs without If-Match all succeed and history has every version`, async () => {
    await put(server(), patient({ id: 'race-free' }));
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) => server().json('PUT', 'Patient/race-free', patient({ id: 'race-free', birthDate: `20${10 + i}-01-01` }))),
    );
    expect(countBy(results.map((r) => r.status))).toEqual({ 200: N });
    const versions = results.map((r) => Number(r.body.meta.versionId)).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: N }, (_, i) => i + 2));

    const { entries } = await allPages(server(), 'Patient/race-free/_history?_count=5');
    expect(entries).toHaveLength(N + 1);
    // Each response's body is exactly the version stored under its number.
    for (const r of results) {
      const stored = entries.find((e) => e.resource.meta.versionId === r.body.meta.versionId);
      expect(stored.resource).toEqual(r.body);
    }
  });

  it(`${N} parallel PATCHes without If-Match each apply to the version they read, or fail with 412; none is lost silently`, async () => {
    await put(server(), patient({ id: 'race-patch', identifier: [{ value: 'start' }] }));
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        server().json('PATCH', 'Patient/race-patch', [{ op: 'add', path: '/identifier/-', value: { value: `p${i}` } }], {
          'content-type': 'application/json-patch+json',
        }),
      ),
    );
    expect(results.every((r) => r.status === 200 || r.status === 412)).toBe(true);
    const applied = results.filter((r) => r.status === 200).length;
    const read = await server().json('GET', 'Patient/race-patch');
    expect(applied).toBeGreaterThanOrEqual(1);
    expect(read.body.identifier).toHaveLength(1 + applied);
    expect(Number(read.body.meta.versionId)).toBe(1 + applied);
  });

  it(`${N} parallel creates of the same new id via PUT leave one resource with consecutive versions`, async () => {
    const results = await Promise.all(Array.from({ length: N }, () => server().json('PUT', 'Patient/race-new', patient({ id: 'race-new' }))));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.every((s) => s === 201 || s === 200)).toBe(true);
    const history = await allPages(server(), 'Patient/race-new/_history?_count=100');
    expect(history.entries.map((e) => Number(e.resource.meta.versionId)).sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
  });

  it(`${N} parallel conditional creates with the same If-None-Exist create exactly one resource; the others answer it (200)`, async () => {
    const identifier = [{ system: 'urn:test:race', value: 'conditional-1' }];
    const results = await Promise.all(
      Array.from({ length: N }, () => server().json('POST', 'Patient', patient({ identifier }), { 'if-none-exist': 'identifier=urn:test:race|conditional-1' })),
    );
    expect(countBy(results.map((r) => r.status))).toEqual({ 201: 1, 200: N - 1 });
    expect(new Set(results.map((r) => r.headers.get('location')?.split('/_history')[0])).size).toBe(1);
    const found = await server().json('GET', 'Patient?identifier=urn:test:race|conditional-1');
    expect(found.body.total ?? found.body.entry.length).toBe(1);
  });

  it(`${N} parallel transactions with the same conditional create store one resource`, async () => {
    const identifier = [{ system: 'urn:test:race', value: 'conditional-2' }];
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:0b9d7e4e-4a4f-4c55-9e0f-1a2b3c4d5e6f',
          resource: patient({ identifier }),
          request: { method: 'POST', url: 'Patient', ifNoneExist: 'identifier=urn:test:race|conditional-2' },
        },
      ],
    };
    const results = await Promise.all(Array.from({ length: N }, () => server().json('POST', '', bundle)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    const found = await server().json('GET', 'Patient?identifier=urn:test:race|conditional-2');
    expect(found.body.entry).toHaveLength(1);
  });

  it('parallel creates (POST) of many resources all succeed with distinct ids', async () => {
    const results = await Promise.all(Array.from({ length: 3 * N }, () => server().json('POST', 'Patient', patient())));
    expect(results.every((r) => r.status === 201)).toBe(true);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(3 * N);
  });
});
