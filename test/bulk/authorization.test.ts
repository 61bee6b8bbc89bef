import { observation, patient, policy, startBulkServer, type BulkTestServer } from './helpers';

const policies = {
  system: policy({ clientId: 'analytics', scopes: ['system/*.read'] }),
  'system-obs': policy({ clientId: 'obs-only', scopes: ['system/Observation.read'], types: ['Observation'] }),
  'other-client': policy({ clientId: 'someone-else', scopes: ['system/*.read'] }),
  'patient-p1': policy({ clientId: 'portal', scopes: ['patient/*.read'], patientIds: ['p1'] }),
  practitioner: policy({ clientId: 'ehr-app', scopes: ['user/*.read'] }),
  // SMART v2 granular scope: system/Observation.rs?status=final
  'final-only': policy({
    clientId: 'granular',
    scopes: ['system/Observation.rs?status=final'],
    types: ['Observation'],
    searchRestrictions: (type) => (type === 'Observation' ? ['status=final'] : undefined),
  }),
};

describe('who may export', () => {
  let server: BulkTestServer;
  const location = async (path: string, token: string) => {
    const res = await server.kickoff(path, { token });
    expect(res.status).toBe(202);
    return res.headers.get('content-location') as string;
  };
  const types = (m: any) => m.output.map((o: any) => o.type).sort();

  beforeAll(async () => {
    server = await startBulkServer({}, { policies });
    await server.seed([patient('p1'), patient('p2'), observation('o1', 'p1'), observation('o2', 'p2'), observation('o3', 'p1', '1234-5', 'preliminary')]);
  });
  afterAll(() => server.close());

  it('requires a token for kick-off, status and files (401)', async () => {
    expect((await server.kickoff('$export')).status).toBe(401);
    const loc = await location('$export', 'system');
    const res = await fetch(loc);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('lets a system/*.read client export everything and download its files', async () => {
    const done = await server.waitDone(await location('$export', 'system'), 'system');
    expect(done.status).toBe(200);
    expect(types(done.body)).toEqual(['Observation', 'Patient']);
    expect(await server.lines(done.body.output[0].url, 'system')).toHaveLength(3);
  });

  it('leaves out the types a system token has no read scope for, and refuses them when asked for by _type', async () => {
    const done = await server.waitDone(await location('$export', 'system-obs'), 'system-obs');
    expect(types(done.body)).toEqual(['Observation']);
    expect((await server.kickoff('$export?_type=Patient', { token: 'system-obs' })).status).toBe(403);
  });

  it('applies the search restriction of a SMART v2 granular scope to the exported data', async () => {
    const done = await server.waitDone(await location('$export', 'final-only'), 'final-only');
    const rows = await server.lines(done.body.output[0].url, 'final-only');
    expect(rows.map((r) => r.id).sort()).toEqual(['o1', 'o2']);
  });

  it('refuses system-level export to patient/ and user/ tokens (403)', async () => {
    expect((await server.kickoff('$export', { token: 'patient-p1' })).status).toBe(403);
    expect((await server.kickoff('$export', { token: 'practitioner' })).status).toBe(403);
  });

  it("bounds a patient/ token's Patient export to its own compartment", async () => {
    const done = await server.waitDone(await location('Patient/$export', 'patient-p1'), 'patient-p1');
    const ids: string[] = [];
    for (const f of done.body.output) ids.push(...(await server.lines(f.url, 'patient-p1')).map((r) => `${r.resourceType}/${r.id}`));
    expect(ids.sort()).toEqual(['Observation/o1', 'Observation/o3', 'Patient/p1']);
  });

  it('shows the status, files and cancel of an export only to the client that started it (403 to others)', async () => {
    const loc = await location('$export?_type=Patient', 'system');
    const done = await server.waitDone(loc, 'system');
    const url = done.body.output[0].url;
    expect((await fetch(loc, { headers: { authorization: 'Bearer other-client' } })).status).toBe(403);
    expect((await fetch(url, { headers: { authorization: 'Bearer other-client' } })).status).toBe(403);
    expect((await fetch(loc, { method: 'DELETE', headers: { authorization: 'Bearer other-client' } })).status).toBe(403);
    expect((await fetch(url, { headers: { authorization: 'Bearer system' } })).status).toBe(200);
  });

  it('refuses an export file to its own client once the token lost read on its type', async () => {
    const shared = policy({ clientId: 'obs-only', scopes: ['system/*.read'] });
    Object.assign(policies, { 'obs-only-wide': shared });
    const loc = await location('$export?_type=Patient', 'obs-only-wide');
    const done = await server.waitDone(loc, 'obs-only-wide');
    // Same client id, but this token reads Observation only.
    expect((await fetch(done.body.output[0].url, { headers: { authorization: 'Bearer system-obs' } })).status).toBe(403);
  });
});
