import { startTestServer, type TestServer } from '../helpers/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

describe('batch bundles', () => {
  it('processes entries independently: a failing entry gets its own OperationOutcome, the others succeed', async () => {
    const res = await server.json('POST', '', {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { resource: { resourceType: 'Patient', name: [{ family: 'BatchOk' }] }, request: { method: 'POST', url: 'Patient' } },
        { request: { method: 'GET', url: 'Patient/does-not-exist' } },
        { resource: { resourceType: 'Patient', id: 'other' }, request: { method: 'PUT', url: 'Patient/mismatch' } },
        { resource: { resourceType: 'Patient', id: 'batch-put' }, request: { method: 'PUT', url: 'Patient/batch-put' } },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('batch-response');
    const statuses = res.body.entry.map((e: any) => e.response.status);
    expect(statuses).toEqual(['201 Created', '404 Not Found', '400 Bad Request', '201 Created']);
    expect(res.body.entry[1].response.outcome.resourceType).toBe('OperationOutcome');
    expect((await server.json('GET', 'Patient/batch-put')).status).toBe(200);
  });

  it('reports an entry without request as that entry\'s 400', async () => {
    const res = await server.json('POST', '', {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [{ resource: { resourceType: 'Patient' } }, { request: { method: 'GET', url: 'metadata' } }],
    });
    expect(res.status).toBe(200);
    expect(res.body.entry[0].response.status).toBe('400 Bad Request');
    expect(res.body.entry[1].response.status).toBe('200 OK');
  });
});
