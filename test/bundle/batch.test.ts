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

  it("reports an entry without request as that entry's 400", async () => {
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

describe('conditional references in batch entries', () => {
  it("resolve per entry: one match is rewritten, none is that entry's 412", async () => {
    await server.json('PUT', 'Patient/batch-cond', { resourceType: 'Patient', id: 'batch-cond', identifier: [{ system: 'urn:bc', value: 'B-1' }] });
    const res = await server.json('POST', '', {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        {
          resource: { resourceType: 'Condition', subject: { reference: 'Patient?identifier=urn:bc|B-1' }, code: { text: 'x' } },
          request: { method: 'POST', url: 'Condition' },
        },
        {
          resource: { resourceType: 'Condition', subject: { reference: 'Patient?identifier=urn:bc|NOBODY' }, code: { text: 'x' } },
          request: { method: 'POST', url: 'Condition' },
        },
      ],
    });
    expect(res.body.entry.map((e: any) => e.response.status)).toEqual(['201 Created', '412 Precondition Failed']);
    const created = await server.json('GET', res.body.entry[0].response.location.split('/_history')[0]);
    expect(created.body.subject.reference).toBe('Patient/batch-cond');
  });
});
