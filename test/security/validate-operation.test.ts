import { A, B, type SecureServer, expectOutcome, observationFocusing, seedTwoPatients, startSecureServer } from './support';

/**
 * `$validate` reads nothing back, but its reference checks say whether ids exist: it needs a grant on the type it
 * validates, and it learns only what the caller's policy shows (a patient token: its own compartment; a granular
 * scope: what the scope covers). Otherwise any token could enumerate the ids of every type.
 */
let server: SecureServer;
beforeAll(async () => {
  server = await startSecureServer();
  await seedTwoPatients(server.system);
});
afterAll(() => server.close());

const conditionAbout = (patient: string) => ({
  resourceType: 'Condition',
  subject: { reference: `Patient/${patient}` },
  code: { text: 'validated, never stored' },
});
const deleteMode = { resourceType: 'Parameters', parameter: [{ name: 'mode', valueCode: 'delete' }] };

/** The diagnostics of an answer with the named id replaced, to compare the answer for two ids. */
const diagnostics = (res: { body: any }, id: string) => (res.body.issue as Array<{ diagnostics?: string }>).map((i) => (i.diagnostics ?? '').split(id).join('<id>'));

describe('$validate needs a grant on the validated type', () => {
  it('refuses a token without any resource scope, for an existing and an absent reference alike', async () => {
    const caller = await server.scoped('openid fhirUser');
    const existing = await caller.json('POST', 'Condition/$validate', conditionAbout(A));
    const absent = await caller.json('POST', 'Condition/$validate', conditionAbout('zz'));
    expectOutcome(existing, 403, 'forbidden');
    expectOutcome(absent, 403, 'forbidden');
    expect(JSON.stringify(absent.body)).not.toContain('does not exist');
    expectOutcome(await caller.json('POST', 'Patient/$validate', { resourceType: 'Patient' }), 403, 'forbidden');
  });

  it('refuses a token whose grants cover other types only', async () => {
    const caller = await server.scoped('system/Patient.rs');
    expectOutcome(await caller.json('POST', 'Condition/$validate', conditionAbout('zz')), 403, 'forbidden');
  });

  it('refuses instance mode=delete without a grant on the type', async () => {
    const caller = await server.scoped('openid');
    expectOutcome(await caller.json('POST', `Patient/${A}/$validate`, deleteMode), 403, 'forbidden');
  });

  it('validates for a token that may read the type, and for a write-only token', async () => {
    const reader = await server.scoped('system/Condition.rs system/Patient.rs');
    const read = await reader.json('POST', 'Condition/$validate', conditionAbout('zz'));
    expect(read.status).toBe(200);
    expect(JSON.stringify(read.body)).toContain('Patient/zz does not exist');
    const loader = await server.scoped('system/Condition.c');
    const written = await loader.json('POST', 'Condition/$validate', conditionAbout(A));
    expect(written.status).toBe(200);
    expect(JSON.stringify(written.body)).not.toContain('does not exist');
    const deleter = await server.scoped('system/Patient.d');
    expect((await deleter.json('POST', `Patient/${A}/$validate`, deleteMode)).status).toBe(200);
  });
});

describe("$validate reference checks run under the caller's policy", () => {
  it('tells a patient token nothing about another patient: their Patient answers like an absent one', async () => {
    const caller = await server.patient(A, 'patient/*.rs');
    const other = await caller.json('POST', 'Condition/$validate', conditionAbout(B));
    const absent = await caller.json('POST', 'Condition/$validate', conditionAbout('zz'));
    expect(other.status).toBe(200);
    expect(diagnostics(other, B)).toEqual(diagnostics(absent, 'zz'));
    const own = await caller.json('POST', 'Condition/$validate', conditionAbout(A));
    expect(JSON.stringify(own.body)).not.toContain('does not exist');
  });

  it('answers the same through absolute references to this server', async () => {
    const caller = await server.patient(A, 'patient/*.rs');
    const about = (patient: string) => ({ ...conditionAbout(A), subject: { reference: `${server.baseUrl}/Patient/${patient}` } });
    const other = await caller.json('POST', 'Condition/$validate', about(B));
    const absent = await caller.json('POST', 'Condition/$validate', about('zz'));
    expect(JSON.stringify(absent.body)).toContain('Patient/zz does not exist');
    expect(diagnostics(other, B)).toEqual(diagnostics(absent, 'zz'));
  });

  it('tells a reader nothing about a type it cannot read: an existing Patient answers like an absent one', async () => {
    const caller = await server.scoped('system/Condition.rs');
    const existing = await caller.json('POST', 'Condition/$validate', conditionAbout(A));
    const absent = await caller.json('POST', 'Condition/$validate', conditionAbout('zz'));
    expect(existing.status).toBe(200);
    expect(diagnostics(existing, A)).toEqual(diagnostics(absent, 'zz'));
  });

  it('tells a granular scope nothing about what it hides: a hidden Condition answers like an absent one', async () => {
    const caller = await server.patient(
      A,
      'patient/Observation.rs patient/Condition.rs?category=http://terminology.hl7.org/CodeSystem/condition-category|problem-list-item',
    );
    const visible = await caller.json('POST', 'Observation/$validate', observationFocusing('cond-a1'));
    expect(JSON.stringify(visible.body)).not.toContain('does not exist');
    const hidden = await caller.json('POST', 'Observation/$validate', observationFocusing('cond-a2'));
    const absent = await caller.json('POST', 'Observation/$validate', observationFocusing('zz'));
    expect(hidden.status).toBe(200);
    expect(JSON.stringify(absent.body)).toContain('Condition/zz does not exist');
    expect(diagnostics(hidden, 'cond-a2')).toEqual(diagnostics(absent, 'zz'));
  });
});
