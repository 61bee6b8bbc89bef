import { startTestServer, type TestServer } from '../helpers/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const patient = (family: string, system = 'urn:test', value = family) => ({
  resourceType: 'Patient',
  identifier: [{ system, value }],
  name: [{ family }],
});

describe('transaction bundles', () => {
  it('creates every entry and rewrites urn:uuid references to the assigned ids, even to later entries', async () => {
    const res = await server.json('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:11111111-1111-4111-8111-111111111111',
          resource: {
            resourceType: 'Encounter',
            status: 'finished',
            class: { code: 'AMB' },
            subject: { reference: 'urn:uuid:22222222-2222-4222-8222-222222222222' },
            extension: [{ url: 'http://example.org/x', valueReference: { reference: 'urn:uuid:22222222-2222-4222-8222-222222222222' } }],
          },
          request: { method: 'POST', url: 'Encounter' },
        },
        {
          fullUrl: 'urn:uuid:22222222-2222-4222-8222-222222222222',
          resource: patient('Later'),
          request: { method: 'POST', url: 'Patient' },
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('transaction-response');
    const [enc, pat] = res.body.entry;
    expect(enc.response.status).toBe('201 Created');
    expect(pat.response.location).toMatch(/^Patient\/[^/]+\/_history\/1$/);
    const patientId = pat.response.location.split('/')[1];
    const encounter = await server.json('GET', enc.response.location.split('/_history')[0]);
    expect(encounter.body.subject.reference).toBe(`Patient/${patientId}`);
    expect(encounter.body.extension[0].valueReference.reference).toBe(`Patient/${patientId}`);
  });

  it('rolls back every change when one entry fails on a stale If-Match', async () => {
    const created = await server.json('PUT', 'Patient/rollback-1', { ...patient('Rollback'), id: 'rollback-1' });
    expect(created.status).toBe(201);
    const res = await server.json('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:a0000000-0000-4000-8000-000000000001', resource: patient('ShouldVanish'), request: { method: 'POST', url: 'Patient' } },
        {
          resource: { ...patient('Rollback2'), id: 'rollback-1' },
          request: { method: 'PUT', url: 'Patient/rollback-1', ifMatch: 'W/"7"' },
        },
      ],
    });
    expect(res.status).toBe(412);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].diagnostics).toContain('Bundle.entry[1]');
    const read = await server.json('GET', 'Patient/rollback-1');
    expect(read.body.meta.versionId).toBe('1');
    expect(read.body.name[0].family).toBe('Rollback');
    const history = await server.json('GET', 'Patient/_history?_count=100');
    expect(JSON.stringify(history.body)).not.toContain('ShouldVanish');
  });

  it('resolves a conditional reference that matches exactly one resource', async () => {
    await server.json('PUT', 'Patient/cond-one', { ...patient('CondOne', 'urn:mrn', 'M-1'), id: 'cond-one' });
    const res = await server.json('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          resource: { resourceType: 'Condition', subject: { reference: 'Patient?identifier=urn:mrn|M-1' }, code: { text: 'x' } },
          request: { method: 'POST', url: 'Condition' },
        },
      ],
    });
    expect(res.status).toBe(200);
    const cond = await server.json('GET', res.body.entry[0].response.location.split('/_history')[0]);
    expect(cond.body.subject.reference).toBe('Patient/cond-one');
  });

  it.each([
    ['no', 'urn:mrn|NOBODY'],
    ['two', 'urn:dup|D-1'],
  ])('fails the whole transaction when a conditional reference matches %s resources', async (_label, ident) => {
    await server.json('PUT', 'Patient/dup-a', { ...patient('DupA', 'urn:dup', 'D-1'), id: 'dup-a' });
    await server.json('PUT', 'Patient/dup-b', { ...patient('DupB', 'urn:dup', 'D-1'), id: 'dup-b' });
    const res = await server.json('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:b0000000-0000-4000-8000-000000000001', resource: patient('NotKept'), request: { method: 'POST', url: 'Patient' } },
        {
          resource: { resourceType: 'Condition', subject: { reference: `Patient?identifier=${ident}` }, code: { text: 'x' } },
          request: { method: 'POST', url: 'Condition' },
        },
      ],
    });
    expect(res.status).toBe(412);
    expect(res.body.issue[0].expression).toContain('Bundle.entry[1]');
    const all = await server.json('GET', 'Patient/_history?_count=1000');
    expect(JSON.stringify(all.body)).not.toContain('NotKept');
  });

  it('rejects duplicate fullUrls with 400', async () => {
    const dup = 'urn:uuid:c0000000-0000-4000-8000-000000000001';
    const res = await server.json('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: dup, resource: patient('Dup1'), request: { method: 'POST', url: 'Patient' } },
        { fullUrl: dup, resource: patient('Dup2'), request: { method: 'POST', url: 'Patient' } },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.body.issue[0].diagnostics).toContain('fullUrl');
  });

  it('rejects a reference to a urn:uuid that no entry defines', async () => {
    const res = await server.json('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          resource: { resourceType: 'Condition', subject: { reference: 'urn:uuid:dead0000-0000-4000-8000-000000000000' }, code: { text: 'x' } },
          request: { method: 'POST', url: 'Condition' },
        },
      ],
    });
    expect(res.status).toBe(400);
  });

  it('processes DELETE before POST before PUT before GET, and answers GET from inside the transaction', async () => {
    await server.json('PUT', 'Patient/order-del', { ...patient('OrderDel'), id: 'order-del' });
    const res = await server.json('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { request: { method: 'GET', url: 'Patient/order-put' } },
        { resource: { ...patient('OrderPut'), id: 'order-put' }, request: { method: 'PUT', url: 'Patient/order-put' } },
        { request: { method: 'DELETE', url: 'Patient/order-del' } },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.entry[0].response.status).toBe('200 OK');
    expect(res.body.entry[0].resource.name[0].family).toBe('OrderPut');
    expect((await server.json('GET', 'Patient/order-del')).status).toBe(410);
  });

  it('honours ifNoneExist: an existing match is reused and references point to it', async () => {
    await server.json('PUT', 'Patient/ine-1', { ...patient('Ine', 'urn:ine', 'I-1'), id: 'ine-1' });
    const res = await server.json('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:d0000000-0000-4000-8000-000000000001',
          resource: patient('IneNew', 'urn:ine', 'I-1'),
          request: { method: 'POST', url: 'Patient', ifNoneExist: 'identifier=urn:ine|I-1' },
        },
        {
          resource: { resourceType: 'Condition', subject: { reference: 'urn:uuid:d0000000-0000-4000-8000-000000000001' }, code: { text: 'x' } },
          request: { method: 'POST', url: 'Condition' },
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.entry[0].response.status).toBe('200 OK');
    const cond = await server.json('GET', res.body.entry[1].response.location.split('/_history')[0]);
    expect(cond.body.subject.reference).toBe('Patient/ine-1');
  });

  it('returns representations when Prefer: return=representation', async () => {
    const res = await server.json(
      'POST',
      '',
      { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: patient('Repr'), request: { method: 'POST', url: 'Patient' } }] },
      { prefer: 'return=representation' },
    );
    expect(res.body.entry[0].resource.name[0].family).toBe('Repr');
    expect(res.body.entry[0].response.etag).toBe('W/"1"');
  });

  it('rejects other bundle types and non-bundles posted to the base with 400', async () => {
    expect((await server.json('POST', '', { resourceType: 'Bundle', type: 'collection', entry: [] })).status).toBe(400);
    expect((await server.json('POST', '', { resourceType: 'Patient' })).status).toBe(400);
  });
});

describe('absolute references to this server', () => {
  it('are stored relative, so they are checked and followed like local ones', async () => {
    const p = await server.json('PUT', 'Patient/abs-1', { resourceType: 'Patient', id: 'abs-1' });
    expect(p.status).toBe(201);
    const c = await server.json('POST', 'Condition', {
      resourceType: 'Condition',
      subject: { reference: `${server.baseUrl}/Patient/abs-1` },
      code: { text: 'x' },
    });
    expect(c.status).toBe(201);
    const read = await server.json('GET', c.headers.get('location')!.replace(`${server.baseUrl}/`, '').split('/_history')[0]);
    expect(read.body.subject.reference).toBe('Patient/abs-1');
  });
});

describe('transactions whose first entry checks several references', () => {
  it('commits (reference checks run one at a time inside the MongoDB transaction)', async () => {
    await server.json('PUT', 'Patient/multi-ref', { resourceType: 'Patient', id: 'multi-ref' });
    await server.json('PUT', 'Encounter/multi-ref-enc', {
      resourceType: 'Encounter',
      id: 'multi-ref-enc',
      status: 'finished',
      class: { code: 'AMB' },
      subject: { reference: 'Patient/multi-ref' },
    });
    const condition = (id: string) => ({
      resource: {
        resourceType: 'Condition',
        id,
        code: { text: 'x' },
        subject: { reference: 'Patient/multi-ref' },
        encounter: { reference: 'Encounter/multi-ref-enc' },
      },
      request: { method: 'PUT', url: `Condition/${id}` },
    });
    for (let round = 0; round < 3; round++) {
      const res = await server.json('POST', '', { resourceType: 'Bundle', type: 'transaction', entry: [condition(`mr-${round}-a`), condition(`mr-${round}-b`)] });
      expect(res.status).toBe(200);
    }
  });
});
