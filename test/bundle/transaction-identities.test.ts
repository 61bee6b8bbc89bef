import { startTestServer, type TestServer } from '../helpers/server';

/**
 * Spec 3.1.0.11.2: "If any resource identities (including resolved identities from conditional update/delete)
 * overlap in steps 1-3 [DELETE, POST, PUT/PATCH], then the transaction SHALL fail." Such a transaction is 400 and
 * commits nothing; reads (step 4) may name any resource.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const transaction = (...entry: unknown[]) => server.json('POST', '', { resourceType: 'Bundle', type: 'transaction', entry });
const patient = (id: string | undefined, family: string, identifier?: string) => ({
  resourceType: 'Patient',
  ...(id ? { id } : {}),
  name: [{ family }],
  ...(identifier ? { identifier: [{ system: 'urn:ident', value: identifier }] } : {}),
});
const put = (id: string, family: string, identifier?: string) => ({ resource: patient(id, family, identifier), request: { method: 'PUT', url: `Patient/${id}` } });
const del = (url: string) => ({ request: { method: 'DELETE', url } });
const jsonPatch = (id: string, family: string) => ({
  resource: {
    resourceType: 'Binary',
    contentType: 'application/json-patch+json',
    data: Buffer.from(JSON.stringify([{ op: 'replace', path: '/name/0/family', value: family }])).toString('base64'),
  },
  request: { method: 'PATCH', url: `Patient/${id}` },
});

async function seed(id: string, identifier?: string): Promise<void> {
  expect((await server.json('PUT', `Patient/${id}`, patient(id, 'Seeded', identifier))).status).toBe(201);
}

/** The overlap is 400 naming both entries, and nothing of the transaction is stored. */
function expectOverlap(res: { status: number; body: any }, identity: string, first: number, second: number): void {
  expect(res.status).toBe(400);
  expect(res.body.resourceType).toBe('OperationOutcome');
  expect(res.body.issue[0].diagnostics).toContain(identity);
  expect(res.body.issue[0].expression).toEqual(expect.arrayContaining([`Bundle.entry[${first}].request.url`, `Bundle.entry[${second}].request.url`]));
}

async function familyOf(id: string): Promise<string | number> {
  const res = await server.json('GET', `Patient/${id}`);
  return res.status === 200 ? res.body.name[0].family : res.status;
}

describe('transaction entries acting on the same resource', () => {
  it('fail for two PUTs of one id, and store neither', async () => {
    const res = await transaction(put('same-put', 'First'), put('same-put', 'Second'));
    expectOverlap(res, 'Patient/same-put', 0, 1);
    expect(await familyOf('same-put')).toBe(404);
  });

  it('fail for a DELETE and a PUT of one id, and leave the resource as it was', async () => {
    await seed('del-put');
    const res = await transaction(put('del-put', 'Replaced'), del('Patient/del-put'));
    expectOverlap(res, 'Patient/del-put', 0, 1);
    expect(await familyOf('del-put')).toBe('Seeded');
  });

  it('fail for two DELETEs of one id', async () => {
    await seed('del-del');
    expectOverlap(await transaction(del('Patient/del-del'), del('Patient/del-del')), 'Patient/del-del', 0, 1);
    expect(await familyOf('del-del')).toBe('Seeded');
  });

  it('fail for a PUT and a PATCH of one id', async () => {
    await seed('put-patch');
    expectOverlap(await transaction(jsonPatch('put-patch', 'Patched'), put('put-patch', 'Put')), 'Patient/put-patch', 0, 1);
    expect(await familyOf('put-patch')).toBe('Seeded');
  });

  it('fail when one URL is absolute and the other relative', async () => {
    const res = await transaction(put('abs-rel', 'Rel'), { ...put('abs-rel', 'Abs'), request: { method: 'PUT', url: `${server.baseUrl}/Patient/abs-rel` } });
    expectOverlap(res, 'Patient/abs-rel', 0, 1);
  });

  it('fail when a conditional DELETE resolves to a resource another entry updates', async () => {
    await seed('cond-del', 'CD-1');
    const res = await transaction(put('cond-del', 'Updated'), del('Patient?identifier=urn:ident|CD-1'));
    expectOverlap(res, 'Patient/cond-del', 0, 1);
    expect(await familyOf('cond-del')).toBe('Seeded');
  });

  it('fail when a conditional PUT resolves to a resource another entry deletes', async () => {
    await seed('cond-put', 'CP-1');
    const res = await transaction(del('Patient/cond-put'), {
      resource: patient(undefined, 'Conditional', 'CP-1'),
      request: { method: 'PUT', url: 'Patient?identifier=urn:ident|CP-1' },
    });
    expectOverlap(res, 'Patient/cond-put', 0, 1);
    expect(await familyOf('cond-put')).toBe('Seeded');
  });

  it('fail for two conditional PUTs with the same criteria, though they match nothing yet', async () => {
    const entry = (family: string) => ({ resource: patient(undefined, family, 'TWICE'), request: { method: 'PUT', url: 'Patient?identifier=urn:ident|TWICE' } });
    expectOverlap(await transaction(entry('One'), entry('Two')), 'Patient?identifier=urn%3Aident%7CTWICE', 0, 1);
    expect((await server.json('GET', 'Patient?identifier=urn:ident|TWICE&_summary=count')).body.total).toBe(0);
  });

  it('fail (not 500) when a conditional PUT matches the resource an earlier PUT of the bundle creates', async () => {
    const res = await transaction(put('made-by-put', 'ByPut', 'MADE-1'), {
      resource: patient(undefined, 'ByCondition', 'MADE-1'),
      request: { method: 'PUT', url: 'Patient?identifier=urn:ident|MADE-1' },
    });
    expectOverlap(res, 'Patient/made-by-put', 0, 1);
    expect(await familyOf('made-by-put')).toBe(404);
  });
});

describe('transaction entries that do not overlap', () => {
  it('commit: POSTs of identical resources under distinct fullUrls, and PUTs of distinct ids', async () => {
    const post = (n: number) => ({
      fullUrl: `urn:uuid:7a1e0000-0000-4000-8000-00000000000${n}`,
      resource: patient(undefined, 'Twin'),
      request: { method: 'POST', url: 'Patient' },
    });
    const res = await transaction(post(1), post(2), put('distinct-a', 'A'), put('distinct-b', 'B'));
    expect(res.status).toBe(200);
    expect(res.body.entry.map((e: any) => e.response.status)).toEqual(['201 Created', '201 Created', '201 Created', '201 Created']);
  });

  it('commit: a read of the resource another entry writes', async () => {
    await seed('read-write');
    const res = await transaction({ request: { method: 'GET', url: 'Patient/read-write' } }, jsonPatch('read-write', 'PatchedAndRead'));
    expect(res.status).toBe(200);
    expect(res.body.entry[0].resource.name[0].family).toBe('PatchedAndRead');
  });
});
