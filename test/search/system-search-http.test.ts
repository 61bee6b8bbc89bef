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

  it('is answered for POST [base]/_search with the parameters in a form body', async () => {
    const res = await server.json('POST', '_search', '_type=Organization&_id=sys-1,sys-org', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(200);
    expect(res.body.entry.filter((e: any) => e.search?.mode === 'match').map((e: any) => e.resource.id)).toEqual(['sys-org']);
  });
});

describe('compartment search by POST', () => {
  it('answers POST Patient/[id]/[type]/_search like the GET form', async () => {
    await server.json('PUT', 'Encounter/sys-enc', {
      resourceType: 'Encounter',
      id: 'sys-enc',
      status: 'finished',
      class: { code: 'AMB' },
      subject: { reference: 'Patient/sys-1' },
    });
    const res = await server.json('POST', 'Patient/sys-1/Encounter/_search', 'status=finished', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(200);
    expect(res.body.entry.map((e: any) => e.resource.id)).toEqual(['sys-enc']);
    expect((await server.json('GET', 'Patient/sys-1/Encounter/_search')).status).toBe(405);
  });
});
