import { A, B, type SecureServer, expectOutcome, refsOf, seedTwoPatients, startSecureServer } from './support';

let server: SecureServer;
beforeAll(async () => {
  server = await startSecureServer();
  await seedTwoPatients(server.system);
});
afterAll(() => server.close());

const newCondition = (patient = A) => ({
  resourceType: 'Condition',
  subject: { reference: `Patient/${patient}` },
  code: { text: 'written by a test that expects to be refused' },
});

/** Conditions of A as the system sees them, to prove a refused write left nothing behind. */
async function conditionCount(): Promise<number> {
  const res = await server.system.json('GET', `Condition?subject=Patient/${A}&_summary=count`);
  return res.body.total as number;
}

describe('scopes decide the interactions (403 Forbidden)', () => {
  it('lets a read scope read and search but not create, update or delete', async () => {
    const reader = await server.scoped('system/*.read');
    expect((await reader.json('GET', `Patient/${A}`)).status).toBe(200);
    expect((await reader.json('GET', 'Condition')).status).toBe(200);
    const before = await conditionCount();
    expectOutcome(await reader.json('POST', 'Condition', newCondition()), 403, 'forbidden');
    const current = (await reader.json('GET', 'Condition/cond-a1')).body;
    expectOutcome(await reader.json('PUT', 'Condition/cond-a1', { ...current, note: [{ text: 'x' }] }), 403, 'forbidden');
    expectOutcome(await reader.json('DELETE', 'Condition/cond-a1'), 403, 'forbidden');
    expect(await conditionCount()).toBe(before);
    expect((await server.system.json('GET', 'Condition/cond-a1')).body.meta.versionId).toBe(current.meta.versionId);
  });

  it('does not let SMART v1 patient/*.read write into the patient own record', async () => {
    const patient = await server.patient(A, 'patient/*.read');
    expect((await patient.json('GET', `Patient/${A}`)).status).toBe(200);
    expectOutcome(await patient.json('POST', 'Condition', newCondition(A)), 403, 'forbidden');
  });

  it('does not let SMART v2 patient/*.rs create', async () => {
    const patient = await server.patient(A, 'patient/*.rs');
    expect((await patient.json('GET', 'Condition')).status).toBe(200);
    expectOutcome(await patient.json('POST', 'Condition', newCondition(A)), 403, 'forbidden');
  });

  it('lets patient/*.* create in the patient own record (the write counterpart of the refusals above)', async () => {
    const patient = await server.patient(A, 'patient/*.*');
    const res = await patient.json('POST', 'Condition', newCondition(A), { prefer: 'return=minimal' });
    expect(res.status).toBe(201);
  });

  it('does not let user/Condition.write read or search Patient, nor read what it may write', async () => {
    const writer = await server.scoped('user/Condition.write');
    expectOutcome(await writer.json('GET', `Patient/${A}`), 403, 'forbidden');
    expectOutcome(await writer.json('GET', 'Patient'), 403, 'forbidden');
    expectOutcome(await writer.json('GET', 'Condition/cond-a1'), 403, 'forbidden');
    expectOutcome(await writer.json('GET', 'Condition/cond-a1/_history'), 403, 'forbidden');
  });

  it('narrows to the named types: system/Patient.rs reads Patients only', async () => {
    const caller = await server.scoped('system/Patient.rs');
    expect((await caller.json('GET', `Patient/${B}`)).status).toBe(200);
    expectOutcome(await caller.json('GET', 'Condition/cond-b1'), 403, 'forbidden');
    expectOutcome(await caller.json('GET', 'Condition/_history'), 403, 'forbidden');
  });

  it('leaves types outside the scopes out of system-level search and history, and refuses _type naming them', async () => {
    const caller = await server.scoped('system/Patient.rs system/Patient.r');
    expectOutcome(await caller.json('GET', '?_type=Patient,Condition,Encounter'), 403, 'forbidden');
    const search = await caller.json('GET', '?_count=100');
    expect(search.status).toBe(200);
    const types = new Set(refsOf(search.body).map((r) => r.split('/')[0]));
    expect(types).toEqual(new Set(['Patient']));
    const history = await caller.json('GET', '_history');
    expect(history.status).toBe(200);
    expect(new Set(refsOf(history.body).map((r) => r.split('/')[0]))).toEqual(new Set(['Patient']));
  });

  it('separates read from search: system/Condition.r reads by id but cannot search', async () => {
    const caller = await server.scoped('system/Condition.r');
    expect((await caller.json('GET', 'Condition/cond-b1')).status).toBe(200);
    expectOutcome(await caller.json('GET', 'Condition?code=b-code'), 403, 'forbidden');
  });

  it('grants nothing through patient/ scopes when the token has no patient claim', async () => {
    const unbound = await server.scoped('patient/*.read');
    expectOutcome(await unbound.json('GET', `Patient/${A}`), 403, 'forbidden');
    expectOutcome(await unbound.json('GET', 'Condition'), 403, 'forbidden');
  });

  it('grants nothing through malformed or non-resource scopes', async () => {
    for (const scope of ['openid fhirUser launch/patient', 'system/Nonsense.read', 'system/*.xyz', 'system/*', '*/*.*']) {
      const caller = await server.scoped(scope);
      expectOutcome(await caller.json('GET', `Patient/${A}`), 403, 'forbidden');
    }
  });

  it('binds user/ scopes to the compartment of a Patient fhirUser (a patient portal login)', async () => {
    const portal = server.as(await server.sign({ scope: 'user/*.read', fhirUser: `Patient/${A}` }));
    expect((await portal.json('GET', 'Condition/cond-a1')).status).toBe(200);
    expectOutcome(await portal.json('GET', 'Condition/cond-b1'), 404, 'not-found');
  });
});

describe('SMART v2 granular scopes (patient/Condition.rs?category=problem-list-item)', () => {
  const granular = 'patient/Condition.rs?category=http://terminology.hl7.org/CodeSystem/condition-category|problem-list-item';

  it('finds the patient problem-list Conditions and not the encounter diagnoses', async () => {
    const caller = await server.patient(A, granular);
    const res = await caller.json('GET', 'Condition');
    expect(res.status).toBe(200);
    expect(refsOf(res.body)).toEqual(['Condition/cond-a1']);
    expect(res.body.total).toBe(1);
  });

  it('reads a problem-list Condition and answers 404 for an encounter diagnosis', async () => {
    const caller = await server.patient(A, granular);
    expect((await caller.json('GET', 'Condition/cond-a1')).status).toBe(200);
    expectOutcome(await caller.json('GET', 'Condition/cond-a2'), 404, 'not-found');
    expect((await server.system.json('GET', 'Condition/cond-a2')).status).toBe(200);
  });

  it('applies the restriction to a search that asks for the other category explicitly', async () => {
    const caller = await server.patient(A, granular);
    const res = await caller.json('GET', 'Condition?category=encounter-diagnosis');
    expect(refsOf(res.body)).toEqual([]);
  });

  it('applies the restriction to _revinclude and to the patient bound together', async () => {
    const caller = await server.patient(A, `${granular} patient/Patient.rs`);
    const res = await caller.json('GET', `Patient?_revinclude=Condition:subject`);
    expect(res.status).toBe(200);
    expect(refsOf(res.body).sort()).toEqual(['Condition/cond-a1', `Patient/${A}`]);
  });

  it('restricts a system/ granular scope across patients', async () => {
    const caller = await server.scoped('system/Condition.rs?category=encounter-diagnosis');
    const res = await caller.json('GET', 'Condition');
    expect(refsOf(res.body)).toEqual(['Condition/cond-a2']);
    expectOutcome(await caller.json('GET', 'Condition/cond-b1'), 404, 'not-found');
  });

  it('is widened by another unrestricted grant for the same type (scopes are OR-ed)', async () => {
    const caller = await server.patient(A, `${granular} patient/Condition.rs`);
    const res = await caller.json('GET', 'Condition?_count=50');
    expect(refsOf(res.body)).toEqual(expect.arrayContaining(['Condition/cond-a1', 'Condition/cond-a2']));
    expect(refsOf(res.body)).not.toContain('Condition/cond-b1');
  });
});

describe('write-only scopes', () => {
  it('let a loader create a Condition referencing an existing Patient it cannot read', async () => {
    const loader = await server.scoped('system/Condition.c');
    expect((await loader.json('GET', `Patient/${A}`)).status).toBe(403);
    const res = await loader.json('POST', 'Condition', newCondition(A));
    expect(res.status).toBe(201);
  });

  it('still reject a reference to a Patient that does not exist', async () => {
    const loader = await server.scoped('system/Condition.c');
    const res = await loader.json('POST', 'Condition', newCondition('no-such-patient'));
    expect(res.status).toBe(422);
  });
});
