import { SmartAccessPolicy } from '../../../src/auth/smart-policy';
import { startTestServer, type TestServer } from '../../helpers/server';

const ICD = 'http://hl7.org/fhir/sid/icd-10-cm';
const ACT = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const outcome = { prefer: 'return=OperationOutcome' };

const patient = { resourceType: 'Patient', id: 'p1', name: [{ family: 'Coded' }] };
const condition = (code: string, more: Record<string, unknown> = {}, display?: string) => ({
  resourceType: 'Condition',
  subject: { reference: 'Patient/p1' },
  code: { coding: [{ system: ICD, code, ...(display ? { display } : {}) }] },
  ...more,
});
const encounter = (id: string, cls: string, period: Record<string, string>, more: Record<string, unknown> = {}) => ({
  resourceType: 'Encounter',
  id,
  status: 'finished',
  class: { system: ACT, code: cls },
  subject: { reference: 'Patient/p1' },
  period,
  ...more,
});

/** The ICD-10-CM issues of a write's or $validate's OperationOutcome (not the server's "Created" information). */
const icdIssues = (body: any) => body.issue.filter((i: any) => /ICD-10-CM/.test(i.diagnostics));

describe('ICD-10-CM codings on write, against the code set of the date of service', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({}, (services) => ({
      ...services,
      authenticate: async (header) =>
        header === 'Bearer conditions-only' ? new SmartAccessPolicy({ scope: 'user/Condition.cruds user/Patient.rs', sub: 'clerk' }) : services.authenticate!(header),
    }));
    await server.json('PUT', 'Patient/p1', patient);
  });
  afterAll(() => server.close());

  it('B88.0 recorded on September 30 2025 is billable: no issue; on October 1 2025 it is a header: a warning, the write stored', async () => {
    const before = await server.json('POST', 'Condition', condition('B88.0', { recordedDate: '2025-09-30' }), outcome);
    expect(before.status).toBe(201);
    expect(icdIssues(before.body)).toEqual([]);
    const after = await server.json('POST', 'Condition', condition('B88.0', { recordedDate: '2025-10-01T09:00:00-05:00' }), outcome);
    expect(after.status).toBe(201);
    expect(icdIssues(after.body)).toEqual([
      {
        severity: 'warning',
        code: 'code-invalid',
        diagnostics: expect.stringMatching(/^ICD-10-CM code B88\.0 is a header .* in FY2026 .*in force on 2025-10-01 \(Condition\.recordedDate\)/),
        expression: ['Condition.code.coding[0].code'],
      },
    ]);
  });

  it('E11.A, new in FY2026, is unknown before October 1 2025', async () => {
    const early = await server.json('POST', 'Condition', condition('E11.A', { recordedDate: '2025-09-15' }), outcome);
    expect(early.status).toBe(201);
    expect(icdIssues(early.body)[0].diagnostics).toContain(
      'is not in the code set of FY2025 (2024-10-01 to 2025-09-30), in force on 2025-09-15 (Condition.recordedDate); it is in FY2026',
    );
    const later = await server.json('POST', 'Condition', condition('E11.A', { recordedDate: '2025-10-15' }), outcome);
    expect(icdIssues(later.body)).toEqual([]);
  });

  it('warns of an unknown code, a code without its dot and a wrong display (at the display)', async () => {
    const unknown = await server.json('POST', 'Condition', condition('E11.99', { recordedDate: '2025-03-01' }), outcome);
    expect(icdIssues(unknown.body)[0].diagnostics).toContain("Unknown ICD-10-CM code 'E11.99'");
    const undotted = await server.json('POST', 'Condition', condition('E119', { recordedDate: '2025-03-01' }), outcome);
    expect(icdIssues(undotted.body)[0]).toMatchObject({ severity: 'warning', diagnostics: "ICD-10-CM code 'E119' is written without its dot: write it as E11.9" });
    const display = await server.json('POST', 'Condition', condition('E11.9', { recordedDate: '2025-03-01' }, 'Diabetes'), outcome);
    expect(icdIssues(display.body)).toEqual([expect.objectContaining({ severity: 'warning', expression: ['Condition.code.coding[0].display'] })]);
    // The short description is a display too.
    const short = await server.json(
      'POST',
      'Condition',
      condition('E11.22', { recordedDate: '2025-03-01' }, 'Type 2 diabetes mellitus w diabetic chronic kidney disease'),
      outcome,
    );
    expect(icdIssues(short.body)).toEqual([]);
  });

  it('a date of service outside the loaded years is information, checked against the nearest year', async () => {
    const res = await server.json('POST', 'Condition', condition('E11.9', { recordedDate: '2031-01-01' }), outcome);
    expect(res.status).toBe(201);
    expect(icdIssues(res.body)).toEqual([
      expect.objectContaining({
        severity: 'information',
        diagnostics: expect.stringContaining('2031-01-01 (Condition.recordedDate), is outside the loaded ICD-10-CM code sets'),
      }),
    ]);
  });

  it("a Condition takes its inpatient encounter's discharge date, not its recordedDate", async () => {
    await server.json('PUT', 'Encounter/inpatient', encounter('inpatient', 'IMP', { start: '2025-09-28T22:00:00Z', end: '2025-10-02T10:00:00Z' }));
    const res = await server.json('POST', 'Condition', condition('B88.0', { recordedDate: '2025-09-29', encounter: { reference: 'Encounter/inpatient' } }), outcome);
    expect(icdIssues(res.body)).toEqual([
      expect.objectContaining({ severity: 'warning', diagnostics: expect.stringContaining('in force on 2025-10-02 (Encounter/inpatient period.end)') }),
    ]);
  });

  it('an emergency encounter is coded by its end, an ambulatory one by its start', async () => {
    await server.json('PUT', 'Encounter/ambulatory', encounter('ambulatory', 'AMB', { start: '2025-09-30T23:00:00-04:00', end: '2025-10-01T01:00:00-04:00' }));
    const amb = await server.json('POST', 'Condition', condition('B88.0', { encounter: { reference: 'Encounter/ambulatory' } }), outcome);
    expect(icdIssues(amb.body)).toEqual([]);
    const er = encounter(
      'er',
      'EMER',
      { start: '2025-09-30T23:00:00-04:00', end: '2025-10-01T01:00:00-04:00' },
      { reasonCode: [{ coding: [{ system: ICD, code: 'B88.0' }] }] },
    );
    const res = await server.json('PUT', 'Encounter/er', er, outcome);
    expect(res.status).toBe(201);
    expect(icdIssues(res.body)).toEqual([
      expect.objectContaining({
        expression: ['Encounter.reasonCode[0].coding[0].code'],
        diagnostics: expect.stringContaining('in force on 2025-10-01 (Encounter.period.end)'),
      }),
    ]);
  });

  it('a caller who may not read the encounter gets its recordedDate used instead, and learns nothing of the encounter', async () => {
    const res = await server.json('POST', 'Condition', condition('B88.0', { recordedDate: '2025-09-01', encounter: { reference: 'Encounter/inpatient' } }), {
      ...outcome,
      authorization: 'Bearer conditions-only',
    });
    expect(res.status).toBe(201);
    expect(icdIssues(res.body)).toEqual([]);
  });

  it('checks Claim diagnoses by the billable period: an institutional claim by its end', async () => {
    const claim = {
      resourceType: 'Claim',
      status: 'active',
      type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'institutional' }] },
      use: 'claim',
      patient: { reference: 'Patient/p1' },
      billablePeriod: { start: '2025-09-28', end: '2025-10-02' },
      created: '2025-10-05',
      provider: { display: 'General Hospital' },
      priority: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/processpriority', code: 'normal' }] },
      insurance: [{ sequence: 1, focal: true, coverage: { display: 'Coverage' } }],
      diagnosis: [
        { sequence: 1, diagnosisCodeableConcept: { coding: [{ system: ICD, code: 'E11.A' }] } },
        { sequence: 2, diagnosisCodeableConcept: { coding: [{ system: ICD, code: 'B88.0' }] } },
      ],
    };
    const res = await server.json('POST', 'Claim', claim, outcome);
    expect(res.status).toBe(201);
    expect(icdIssues(res.body).map((i: any) => i.expression[0])).toEqual(['Claim.diagnosis[1].diagnosis.ofType(CodeableConcept).coding[0].code']);
  });

  it('$validate reports the same findings, nothing stored', async () => {
    const res = await server.json('POST', 'Condition/$validate', condition('B88.0', { recordedDate: '2025-10-01' }));
    expect(res.status).toBe(200);
    expect(icdIssues(res.body)).toEqual([expect.objectContaining({ severity: 'warning', code: 'code-invalid' })]);
  });

  it("a transaction's Condition takes the discharge date of the Encounter created before it in the same Bundle", async () => {
    const res = await server.json(
      'POST',
      '',
      {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            fullUrl: 'urn:uuid:0b7f8f0e-6f4c-4c53-9a57-1e2d9f000001',
            resource: encounter('x', 'ACUTE', { start: '2025-09-20', end: '2025-10-03' }),
            request: { method: 'POST', url: 'Encounter' },
          },
          {
            resource: condition('B88.0', { recordedDate: '2025-09-21', encounter: { reference: 'urn:uuid:0b7f8f0e-6f4c-4c53-9a57-1e2d9f000001' } }),
            request: { method: 'POST', url: 'Condition' },
          },
        ],
      },
      outcome,
    );
    expect(res.status).toBe(200);
    const issues = res.body.entry[1].response.outcome.issue;
    expect(icdIssues({ issue: issues })).toEqual([
      expect.objectContaining({ diagnostics: expect.stringMatching(/in force on 2025-10-03 \(Encounter\/[^ ]+ period\.end\)/) }),
    ]);
  });
});

describe('ICD10CM_STRICT=true', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ ICD10CM_STRICT: 'true' });
    await server.json('PUT', 'Patient/p1', patient);
  });
  afterAll(() => server.close());

  it('refuses a write whose ICD-10-CM code is not valid on its date of service (422), stores a valid one', async () => {
    const header = await server.json('POST', 'Condition', condition('B88.0', { recordedDate: '2025-10-01' }));
    expect(header.status).toBe(422);
    expect(icdIssues(header.body)).toEqual([expect.objectContaining({ severity: 'error', code: 'code-invalid', expression: ['Condition.code.coding[0].code'] })]);
    expect((await server.json('POST', 'Condition', condition('B88.01', { recordedDate: '2025-10-01' }))).status).toBe(201);
  });

  it('a date outside the loaded years stays information: the write is stored', async () => {
    const res = await server.json('POST', 'Condition', condition('E11.9', { recordedDate: '2019-01-01' }), outcome);
    expect(res.status).toBe(201);
    expect(icdIssues(res.body)).toEqual([expect.objectContaining({ severity: 'information' })]);
  });

  it('$validate reports the errors', async () => {
    const res = await server.json('POST', 'Condition/$validate', condition('E119', { recordedDate: '2025-01-01' }));
    expect(res.status).toBe(200);
    expect(icdIssues(res.body)).toEqual([expect.objectContaining({ severity: 'error', diagnostics: expect.stringContaining('write it as E11.9') })]);
  });
});
