import { startTestServer, type TestServer } from '../helpers/server';

/** Kinds of transaction entries (spec 3.1.0.11.2) beyond plain create/update: each as the client would send it. */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const bundle = (type: 'transaction' | 'batch', entry: unknown[]) => server.json('POST', '', { resourceType: 'Bundle', type, entry });
const transaction = (...entry: unknown[]) => bundle('transaction', entry);
const patient = (id: string | undefined, family: string, identifier?: string) => ({
  resourceType: 'Patient',
  ...(id ? { id } : {}),
  name: [{ family }],
  ...(identifier ? { identifier: [{ system: 'urn:entries', value: identifier }] } : {}),
});
const statuses = (res: { body: any }) => res.body.entry.map((e: any) => e.response.status);

async function seed(id: string, family = 'Seeded', identifier?: string): Promise<any> {
  const res = await server.json('PUT', `Patient/${id}`, patient(id, family, identifier));
  expect(res.status).toBe(201);
  return res.body;
}

async function read(id: string): Promise<{ status: number; body: any }> {
  return server.json('GET', `Patient/${id}`);
}

describe('PATCH entries', () => {
  const jsonPatchEntry = (id: string, ops: unknown[]) => ({
    resource: { resourceType: 'Binary', contentType: 'application/json-patch+json', data: Buffer.from(JSON.stringify(ops)).toString('base64') },
    request: { method: 'PATCH', url: `Patient/${id}` },
  });

  it('apply a JSON Patch carried as a Binary of base64 data', async () => {
    await seed('tx-json-patch');
    const res = await transaction(jsonPatchEntry('tx-json-patch', [{ op: 'replace', path: '/name/0/family', value: 'JsonPatched' }]));
    expect(res.status).toBe(200);
    expect(res.body.entry[0].response).toMatchObject({ status: '200 OK', etag: 'W/"2"' });
    const after = await read('tx-json-patch');
    expect(after.body.name[0].family).toBe('JsonPatched');
    expect(after.body.meta.versionId).toBe('2');
  });

  it('apply a FHIRPath Patch carried as a Parameters resource', async () => {
    await seed('tx-fhirpath-patch');
    const parameters = {
      resourceType: 'Parameters',
      parameter: [
        {
          name: 'operation',
          part: [
            { name: 'type', valueCode: 'add' },
            { name: 'path', valueString: 'Patient' },
            { name: 'name', valueString: 'birthDate' },
            { name: 'value', valueDate: '1970-01-02' },
          ],
        },
      ],
    };
    const res = await transaction({ resource: parameters, request: { method: 'PATCH', url: 'Patient/tx-fhirpath-patch' } });
    expect(res.status).toBe(200);
    expect(statuses(res)).toEqual(['200 OK']);
    expect((await read('tx-fhirpath-patch')).body.birthDate).toBe('1970-01-02');
  });

  it('roll the whole transaction back when a patch does not apply (JSON Patch test fails: 422)', async () => {
    await seed('tx-patch-fails');
    const res = await transaction(
      { resource: patient('tx-patch-sibling', 'Sibling'), request: { method: 'PUT', url: 'Patient/tx-patch-sibling' } },
      jsonPatchEntry('tx-patch-fails', [{ op: 'test', path: '/name/0/family', value: 'NotThis' }]),
    );
    expect(res.status).toBe(422);
    expect(res.body.issue[0].expression).toContain('Bundle.entry[1]');
    expect((await read('tx-patch-sibling')).status).toBe(404);
  });
});

describe('conditional PUT entries', () => {
  const conditionalPut = (family: string, identifier: string) => ({
    resource: patient(undefined, family, identifier),
    request: { method: 'PUT', url: `Patient?identifier=urn:entries|${identifier}` },
  });

  it('update the one match, and create when nothing matches', async () => {
    await seed('cput-match', 'Before', 'CPUT-1');
    const res = await transaction(conditionalPut('After', 'CPUT-1'), conditionalPut('Created', 'CPUT-NEW'));
    expect(res.status).toBe(200);
    expect(statuses(res)).toEqual(['200 OK', '201 Created']);
    const updated = await read('cput-match');
    expect(updated.body.name[0].family).toBe('After');
    expect(updated.body.meta.versionId).toBe('2');
    const created = await server.json('GET', 'Patient?identifier=urn:entries|CPUT-NEW');
    expect(created.body.entry.map((e: any) => e.resource.name[0].family)).toEqual(['Created']);
  });

  it('run after a PUT that creates a resource of the same type in the same bundle (was a 500)', async () => {
    const res = await transaction(
      { resource: patient('cput-after-put', 'ByPut', 'CPUT-BYPUT'), request: { method: 'PUT', url: 'Patient/cput-after-put' } },
      conditionalPut('ByCondition', 'CPUT-OTHER'),
    );
    expect(res.status).toBe(200);
    expect(statuses(res)).toEqual(['201 Created', '201 Created']);
    expect((await read('cput-after-put')).body.name[0].family).toBe('ByPut');
    expect((await server.json('GET', 'Patient?identifier=urn:entries|CPUT-OTHER&_summary=count')).body.total).toBe(1);
  });

  it('fail the transaction with 412 when the criteria match several resources', async () => {
    await seed('cput-two-a', 'A', 'CPUT-TWO');
    await seed('cput-two-b', 'B', 'CPUT-TWO');
    const res = await transaction(
      { resource: patient('cput-two-sibling', 'Sibling'), request: { method: 'PUT', url: 'Patient/cput-two-sibling' } },
      conditionalPut('Either', 'CPUT-TWO'),
    );
    expect(res.status).toBe(412);
    expect(res.body.issue[0].expression).toContain('Bundle.entry[1]');
    expect((await read('cput-two-sibling')).status).toBe(404);
  });
});

describe('conditional DELETE entries', () => {
  it('delete the one match; no match deletes nothing and still succeeds', async () => {
    await seed('cdel-match', 'Doomed', 'CDEL-1');
    const res = await transaction(
      { request: { method: 'DELETE', url: 'Patient?identifier=urn:entries|CDEL-1' } },
      { request: { method: 'DELETE', url: 'Patient?identifier=urn:entries|CDEL-NOBODY' } },
    );
    expect(res.status).toBe(200);
    expect(statuses(res)).toEqual(['200 OK', '200 OK']);
    expect((await read('cdel-match')).status).toBe(410);
  });

  it('fail the transaction with 412 when the criteria match several resources', async () => {
    await seed('cdel-two-a', 'A', 'CDEL-TWO');
    await seed('cdel-two-b', 'B', 'CDEL-TWO');
    await seed('cdel-two-other');
    const res = await transaction(
      { request: { method: 'DELETE', url: 'Patient/cdel-two-other' } },
      { request: { method: 'DELETE', url: 'Patient?identifier=urn:entries|CDEL-TWO' } },
    );
    expect(res.status).toBe(412);
    expect((await read('cdel-two-other')).status).toBe(200);
    expect((await read('cdel-two-a')).status).toBe(200);
  });
});

describe('urn:oid fullUrls', () => {
  it('identify entries like urn:uuid ones: references to them are rewritten to the assigned ids', async () => {
    const oid = 'urn:oid:1.2.840.113619.2.62.994044785528.114289542805';
    const res = await transaction(
      {
        resource: { resourceType: 'Condition', subject: { reference: oid }, code: { text: 'by oid' } },
        request: { method: 'POST', url: 'Condition' },
      },
      { fullUrl: oid, resource: patient(undefined, 'ByOid'), request: { method: 'POST', url: 'Patient' } },
    );
    expect(res.status).toBe(200);
    const patientId = res.body.entry[1].response.location.split('/')[1];
    const condition = await server.json('GET', res.body.entry[0].response.location.split('/_history')[0]);
    expect(condition.body.subject.reference).toBe(`Patient/${patientId}`);
  });

  it('that no entry defines are a 400, like an unknown urn:uuid', async () => {
    const res = await transaction({
      resource: { resourceType: 'Condition', subject: { reference: 'urn:oid:1.2.3.999' }, code: { text: 'x' } },
      request: { method: 'POST', url: 'Condition' },
    });
    expect(res.status).toBe(400);
  });
});

describe('ifNoneMatch and ifModifiedSince on read entries', () => {
  it.each(['transaction', 'batch'] as const)('answer 304 in a %s when the client copy is current, else the resource', async (type) => {
    const seeded = await seed(`cache-${type}`);
    const url = `Patient/cache-${type}`;
    const lastUpdated = Date.parse(seeded.meta.lastUpdated);
    const res = await bundle(type, [
      { request: { method: 'GET', url, ifNoneMatch: 'W/"1"' } },
      { request: { method: 'GET', url, ifNoneMatch: 'W/"9"' } },
      { request: { method: 'GET', url, ifModifiedSince: new Date(lastUpdated + 60_000).toISOString() } },
      { request: { method: 'GET', url, ifModifiedSince: new Date(lastUpdated - 60_000).toISOString() } },
    ]);
    expect(res.status).toBe(200);
    expect(statuses(res)).toEqual(['304 Not Modified', '200 OK', '304 Not Modified', '200 OK']);
    expect(res.body.entry[0].resource).toBeUndefined();
    expect(res.body.entry[1].resource.id).toBe(`cache-${type}`);
    expect(res.body.entry[3].resource.id).toBe(`cache-${type}`);
  });
});

describe('lastModified of response entries', () => {
  it.each(['transaction', 'batch'] as const)("is the version's meta.lastUpdated to the millisecond in a %s", async (type) => {
    await seed(`lm-update-${type}`);
    const res = await bundle(type, [
      ...[1, 2, 3].map((n) => ({ resource: patient(`lm-${type}-${n}`, 'Precise'), request: { method: 'PUT', url: `Patient/lm-${type}-${n}` } })),
      { resource: patient(`lm-update-${type}`, 'Updated'), request: { method: 'PUT', url: `Patient/lm-update-${type}` } },
      { resource: patient(undefined, 'PostedPrecise'), request: { method: 'POST', url: 'Patient' } },
    ]);
    expect(res.status).toBe(200);
    // By default (return=minimal) the entries carry no resource, yet their lastModified keeps full precision.
    expect(res.body.entry.every((e: any) => e.resource === undefined)).toBe(true);
    for (const entry of res.body.entry) {
      const stored = await server.json('GET', entry.response.location?.split('/_history')[0] ?? `Patient/lm-update-${type}`);
      expect(entry.response.lastModified).toBe(stored.body.meta.lastUpdated);
    }
    const reads = await bundle(type, [{ request: { method: 'GET', url: `Patient/lm-${type}-1` } }]);
    expect(reads.body.entry[0].response.lastModified).toBe(reads.body.entry[0].resource.meta.lastUpdated);
  });
});

describe('a transaction of 5,000 entries', () => {
  it('commits every entry, references between them resolved', async () => {
    const patients = 2500;
    const uuid = (n: number) => `urn:uuid:5e000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
    const entry: unknown[] = [];
    for (let i = 0; i < patients; i++) {
      entry.push({ fullUrl: uuid(i), resource: patient(undefined, 'FiveThousand', `5K-${i}`), request: { method: 'POST', url: 'Patient' } });
      entry.push({
        resource: { resourceType: 'Condition', subject: { reference: uuid(i) }, code: { text: 'five thousand' } },
        request: { method: 'POST', url: 'Condition' },
      });
    }
    const res = await transaction(...entry);
    expect(res.status).toBe(200);
    expect(res.body.entry).toHaveLength(5000);
    expect(res.body.entry.every((e: any) => e.response.status === '201 Created')).toBe(true);
    expect((await server.json('GET', 'Patient?family=FiveThousand&_summary=count')).body.total).toBe(patients);
    const sample = await server.json('GET', res.body.entry[4999].response.location.split('/_history')[0]);
    expect(sample.body.subject.reference).toBe(res.body.entry[4998].response.location.split('/_history')[0]);
    // The heaviest single request of the suite (18 s alone on a quiet 2-core machine): beside another test file.
  }, 90_000);
});
