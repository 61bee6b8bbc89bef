import { A, B, B_NAME, type Caller, type SecureServer, expectOutcome, refsOf, startWithTwoPatients } from './support';

/**
 * Batch and transaction entries run as the outer request's token: a patient token reaches nothing of another
 * patient through a bundle, and a transaction that tries to write there commits nothing at all.
 */
let server: SecureServer;
let patientA: Caller;
beforeAll(async () => ({ server, patientA } = await startWithTwoPatients()));
afterAll(() => server.close());

type Entry = { request: { method: string; url: string; ifNoneExist?: string }; resource?: object; fullUrl?: string };
const bundle = (type: 'batch' | 'transaction', entry: Entry[]) => ({ resourceType: 'Bundle', type, entry });
const get = (url: string): Entry => ({ request: { method: 'GET', url } });
const status = (e: { response: { status: string } }) => Number(e.response.status.split(' ')[0]);

/** Every resource anywhere in a response bundle: entries, and searchset bundles nested in entries. */
function resourcesIn(body: any): string[] {
  return (body.entry ?? []).flatMap((e: any) =>
    e.resource?.resourceType === 'Bundle' ? refsOf(e.resource) : e.resource?.id ? [`${e.resource.resourceType}/${e.resource.id}`] : [],
  );
}

async function systemCount(query: string): Promise<number> {
  return (await server.system.json('GET', `${query}${query.includes('?') ? '&' : '?'}_summary=count`)).body.total as number;
}

describe('batch entries with a patient token', () => {
  it('answers each read of the other patient 404 and each search of it empty, while own entries succeed', async () => {
    const res = await patientA.json(
      'POST',
      '',
      bundle('batch', [
        get(`Patient/${A}`),
        get(`Patient/${B}`),
        get('Condition/cond-b1'),
        get('Condition/cond-b1/_history/1'),
        get('Condition/cond-b1/_history'),
        get(`Condition?subject=Patient/${B}`),
        get(`Patient/${B}/Condition`),
        get(`Condition?subject.name=${B_NAME}`),
        get(`Patient?_id=${A}&_revinclude=Condition:subject`),
      ]),
    );
    expect(res.status).toBe(200);
    expect(res.body.entry.map(status)).toEqual([200, 404, 404, 404, 404, 200, 200, 200, 200]);
    const returned = resourcesIn(res.body);
    expect(returned).toContain(`Patient/${A}`);
    expect(returned.filter((r) => r.includes(B) || r.endsWith('-b1'))).toEqual([]);
    // B's family name appears in no query above, only in B's Patient resource.
    expect(JSON.stringify(res.body)).not.toContain('Brown');
  });

  it('refuses each write into the other patient record and changes nothing there', async () => {
    const before = await server.system.json('GET', 'Condition/cond-b1');
    const conditionsOfB = await systemCount(`Condition?subject=Patient/${B}`);
    const res = await patientA.json(
      'POST',
      '',
      bundle('batch', [
        { request: { method: 'POST', url: 'Condition' }, resource: { resourceType: 'Condition', subject: { reference: `Patient/${B}` } } },
        { request: { method: 'PUT', url: 'Condition/cond-b1' }, resource: { ...before.body, note: [{ text: 'x' }] } },
        { request: { method: 'DELETE', url: 'Condition/cond-b1' } },
        { request: { method: 'DELETE', url: `Condition?subject=Patient/${B}` } },
        { request: { method: 'POST', url: 'Condition' }, resource: { resourceType: 'Condition', subject: { reference: `Patient/${A}` } } },
      ]),
    );
    expect(res.status).toBe(200);
    const statuses = res.body.entry.map(status);
    expect(statuses[0]).toBeGreaterThanOrEqual(400);
    expect(statuses[1]).toBeGreaterThanOrEqual(400);
    expect(statuses[4]).toBe(201);
    const after = await server.system.json('GET', 'Condition/cond-b1');
    expect(after.status).toBe(200);
    expect(after.body.meta.versionId).toBe(before.body.meta.versionId);
    expect(await systemCount(`Condition?subject=Patient/${B}`)).toBe(conditionsOfB);
  });

  it('refuses write entries for a read-only token with 403 each', async () => {
    const reader = await server.patient(A, 'patient/*.read');
    const res = await reader.json(
      'POST',
      '',
      bundle('batch', [
        { request: { method: 'POST', url: 'Condition' }, resource: { resourceType: 'Condition', subject: { reference: `Patient/${A}` } } },
        { request: { method: 'DELETE', url: 'Condition/cond-a1' } },
        get('Condition/cond-a1'),
      ]),
    );
    expect(res.body.entry.map(status)).toEqual([403, 403, 200]);
  });
});

describe('transactions with a patient token', () => {
  it('commits nothing when one entry writes into the other patient record', async () => {
    const ownBefore = await systemCount(`Condition?subject=Patient/${A}`);
    const res = await patientA.json(
      'POST',
      '',
      bundle('transaction', [
        { fullUrl: 'urn:uuid:1', request: { method: 'POST', url: 'Condition' }, resource: { resourceType: 'Condition', subject: { reference: `Patient/${A}` } } },
        { request: { method: 'PUT', url: 'Condition/cond-b1' }, resource: { resourceType: 'Condition', id: 'cond-b1', subject: { reference: `Patient/${A}` } } },
      ]),
    );
    expectOutcome(res, 403, 'forbidden');
    expect(await systemCount(`Condition?subject=Patient/${A}`)).toBe(ownBefore);
  });

  it('fails as a whole when an entry reads the other patient', async () => {
    const res = await patientA.json('POST', '', bundle('transaction', [get(`Patient/${A}`), get(`Patient/${B}`)]));
    expectOutcome(res, 404, 'not-found');
    expect(JSON.stringify(res.body)).not.toContain('Brown');
  });

  it('does not resolve a conditional reference to the other patient', async () => {
    const res = await patientA.json(
      'POST',
      '',
      bundle('transaction', [
        {
          fullUrl: 'urn:uuid:2',
          request: { method: 'POST', url: 'Condition' },
          resource: { resourceType: 'Condition', subject: { reference: `Patient?name=${B_NAME}` } },
        },
      ]),
    );
    expectOutcome(res, 412);
    expect(await systemCount(`Condition?subject=Patient/${B}`)).toBe(1);
  });

  it('does not answer a conditional create with the other patient resource (ifNoneExist matching B)', async () => {
    const res = await patientA.json(
      'POST',
      '',
      bundle('transaction', [
        {
          fullUrl: 'urn:uuid:3',
          request: { method: 'POST', url: 'Condition', ifNoneExist: `subject=Patient/${B}` },
          resource: { resourceType: 'Condition', subject: { reference: `Patient/${A}` } },
        },
      ]),
      { prefer: 'return=representation' },
    );
    expect(res.status).toBe(200);
    expect(status(res.body.entry[0])).toBe(201);
    expect(res.body.entry[0].resource.subject.reference).toBe(`Patient/${A}`);
  });

  it('cannot make the other patient look like a pending resource to plant data in that record', async () => {
    // A conditional PUT matching nothing, whose body carries B's id, puts Patient/B among the transaction's pending
    // ids; an Observation about B then passes reference validation. The PUT of B itself must fail, and with it all.
    const res = await patientA.json(
      'POST',
      '',
      bundle('transaction', [
        {
          fullUrl: 'urn:uuid:4',
          request: { method: 'PUT', url: 'Observation/planted' },
          resource: { resourceType: 'Observation', id: 'planted', status: 'final', code: { text: 'x' }, subject: { reference: `Patient/${B}` } },
        },
        { request: { method: 'PUT', url: 'Patient?_id=no-such-patient' }, resource: { resourceType: 'Patient', id: B, name: [{ family: 'Hijacked' }] } },
      ]),
    );
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect((await server.system.json('GET', 'Observation/planted')).status).toBe(404);
    expect((await server.system.json('GET', `Patient/${B}`)).body.name[0].given).toEqual([B_NAME]);
  });
});
