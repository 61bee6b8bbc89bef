import { startTestServer, type TestServer } from '../helpers/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  await server.json('PUT', 'Patient/sys-1', { resourceType: 'Patient', id: 'sys-1', name: [{ family: 'Systemic' }] });
  await server.json('PUT', 'Organization/sys-org', { resourceType: 'Organization', id: 'sys-org', name: 'Systemic Org' });
});
afterAll(async () => {
  await server.close();
});

describe('system-level search', () => {
  it('covers every stored type when _type is absent', async () => {
    const res = await server.json('GET', '?_id=sys-1,sys-org');
    expect(res.status).toBe(200);
    const ids = res.body.entry.filter((e: any) => e.search?.mode === 'match').map((e: any) => `${e.resource.resourceType}/${e.resource.id}`);
    expect(ids.sort()).toEqual(['Organization/sys-org', 'Patient/sys-1']);
  });

  it('is limited to the types named in _type', async () => {
    const res = await server.json('GET', '?_type=Organization&_id=sys-1,sys-org');
    const ids = res.body.entry.filter((e: any) => e.search?.mode === 'match').map((e: any) => e.resource.id);
    expect(ids).toEqual(['sys-org']);
  });
});
