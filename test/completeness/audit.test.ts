import { taskId } from '../../src/completeness/task';
import type { TestServer } from '../helpers/server';
import { DISCHARGE_SUMMARY, HISTORY_AND_PHYSICAL, SNOMED, daysAgo, diagnosis, document, encounter, inZone, patient, practitioner } from './charts';
import { audit } from './audit-run';
import { as, startPolicyServer } from './policies';

const search = async (server: TestServer, query: string) =>
  ((await server.json('GET', `Task?${query}&_count=200`, undefined, as('admin'))).body.entry ?? []).map((e: any) => e.resource);

describe('$completeness-audit: asynchronous, Tasks per deficiency, never duplicated', () => {
  let server: TestServer;
  const store = async (...resources: any[]) => {
    for (const r of resources) expect((await server.json('PUT', `${r.resourceType}/${r.id}`, r, as('admin'))).status).toBeLessThan(300);
  };

  beforeAll(async () => {
    server = await startPolicyServer({ BULK_EXPORT_POLL: '20ms' });
    await store(patient('p1'), patient('p2', { birthDate: undefined }), practitioner('doc'), practitioner('other'));
    await store(
      // Inpatient, no summary, no H&P, no diagnosis: three deficiencies for doc.
      encounter('inpatient', { patient: 'p1', start: inZone(daysAgo(6), '-05:00'), end: inZone(daysAgo(3), '-05:00'), performer: 'doc' }),
      // Emergency with its summary and a SNOMED diagnosis: complete.
      encounter('emergency', { patient: 'p1', cls: 'EMER', end: inZone(daysAgo(20), 'Z'), performer: 'other' }),
      document('emergency-summary', { patient: 'p1', encounter: 'emergency', loinc: DISCHARGE_SUMMARY, signed: 'other' }),
      diagnosis('emergency-dx', { patient: 'p1', encounter: 'emergency', system: SNOMED, code: '44054006' }),
      // p2's ambulatory visit 40 days ago without a diagnosis, and an unsigned H&P note of it.
      encounter('visit', { patient: 'p2', cls: 'AMB', end: '2026-01-10', performer: 'other' }),
      document('visit-note', { patient: 'p2', encounter: 'visit', loinc: HISTORY_AND_PHYSICAL, author: 'other', date: '2026-01-10T10:00:00Z' }),
    );
  });
  afterAll(() => server.close());

  it('records each deficiency as a Task once, searchable by owner and status, and lists them in its output', async () => {
    const { manifest, tasks, report } = await audit(server);
    expect(manifest.output.map((o: any) => o.type)).toContain('Task');
    const found = tasks.map((t) => `${t.code.coding[0].code} ${t.focus.reference}`).sort();
    expect(found).toEqual([
      'discharge-summary Encounter/inpatient',
      'document-authentication DocumentReference/visit-note',
      'encounter-diagnosis Encounter/inpatient',
      'encounter-diagnosis Encounter/visit',
      'history-and-physical Encounter/inpatient',
      'patient-demographics Patient/p2',
    ]);
    expect(report['discharge-summary']).toMatchObject({ evaluated: 2, deficient: 1, delinquent: 0, created: 1 });
    expect(report['encounter-diagnosis']).toMatchObject({ evaluated: 3, deficient: 1, delinquent: 1, created: 2 });
    const mine = await search(server, 'owner=Practitioner/doc&status=requested');
    expect(mine.map((t: any) => t.code.coding[0].code).sort()).toEqual(['discharge-summary', 'encounter-diagnosis', 'history-and-physical']);
    expect((await search(server, 'business-status=delinquent')).map((t: any) => t.focus.reference).sort()).toEqual([
      'DocumentReference/visit-note',
      'Encounter/inpatient', // the H&P was due 24 hours after admission, 6 days ago
      'Encounter/visit',
    ]);
    const demographics = (await search(server, 'focus=Patient/p2'))[0];
    expect(demographics.description).toMatch(/no birth date/);
    expect(demographics.for.reference).toBe('Patient/p2');
    // The Tasks are valid R4 resources.
    for (const task of tasks) {
      const check = await server.json('POST', 'Task/$validate', { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: task }] }, as('admin'));
      expect(check.body.issue.filter((i: any) => i.severity === 'error')).toEqual([]);
    }
  });

  it('writes nothing new on a second run over the same charts: the same Tasks, found unchanged', async () => {
    const before = await search(server, 'code=http://fhirstone.org/fhir/CodeSystem/deficiency-rule|');
    const { tasks, report } = await audit(server);
    const after = await search(server, 'code=http://fhirstone.org/fhir/CodeSystem/deficiency-rule|');
    expect(after.map((t: any) => `${t.id}/${t.meta.versionId}`).sort()).toEqual(before.map((t: any) => `${t.id}/${t.meta.versionId}`).sort());
    expect(tasks).toHaveLength(6);
    for (const counts of Object.values(report)) expect(counts).toMatchObject({ created: 0, updated: 0, completed: 0 });
  });

  it('completes a Task once its deficiency is fixed, at the write (the hook) and so at the next audit too', async () => {
    await store(document('inpatient-summary', { patient: 'p1', encounter: 'inpatient', loinc: DISCHARGE_SUMMARY, signed: 'doc' }));
    const [done] = await search(server, 'focus=Encounter/inpatient&code=http://fhirstone.org/fhir/CodeSystem/deficiency-rule|discharge-summary');
    expect(done.status).toBe('completed');
    const { report } = await audit(server, [{ name: 'rule', valueCode: 'discharge-summary' }]);
    expect(Object.keys(report)).toEqual(['discharge-summary']);
    expect(report['discharge-summary']).toMatchObject({ deficient: 0, created: 0, completed: 0 });
  });

  it('cancels a Task whose focus is no longer in its rule’s scope', async () => {
    // A discharge-summary deficiency recorded for what is (now) an ambulatory visit: outside the rule.
    const { tasks } = await audit(server, [{ name: 'rule', valueCode: 'encounter-diagnosis' }]);
    const visitTask = tasks.find((t) => t.focus.reference === 'Encounter/visit');
    const stray = {
      ...visitTask,
      id: undefined,
      meta: undefined,
      code: { coding: [{ system: 'http://fhirstone.org/fhir/CodeSystem/deficiency-rule', code: 'discharge-summary' }] },
    };
    const id = taskId('discharge-summary', 'Encounter/visit');
    await store({ ...stray, id });
    const { report } = await audit(server, [{ name: 'rule', valueCode: 'discharge-summary' }]);
    expect(report['discharge-summary'].cancelled).toBe(1);
    expect((await server.json('GET', `Task/${id}`, undefined, as('admin'))).body.status).toBe('cancelled');
  });

  it('narrows to a patient, encounter classes and dates', async () => {
    const byPatient = await audit(server, [{ name: 'patient', valueReference: { reference: 'Patient/p2' } }]);
    expect(new Set(byPatient.tasks.map((t) => t.for.reference))).toEqual(new Set(['Patient/p2']));
    const byClass = await audit(server, [{ name: 'encounter-class', valueCode: 'AMB' }]);
    expect(Object.keys(byClass.report).sort()).toEqual(['discharge-summary', 'encounter-diagnosis', 'history-and-physical']);
    expect(byClass.tasks.map((t) => t.focus.reference)).toEqual(['Encounter/visit']);
    const byDate = await audit(server, [
      { name: 'start', valueDate: '2026-01-01' },
      { name: 'end', valueDate: '2026-01-31' },
      { name: 'rule', valueCode: 'encounter-diagnosis' },
    ]);
    expect(byDate.tasks.map((t) => t.focus.reference)).toEqual(['Encounter/visit']);
  });

  it('evaluates more foci than one search parameter may list (a page is queried in chunks)', async () => {
    await store(patient('p3'));
    const entry = Array.from({ length: 230 }, (_, i) => {
      const resource = encounter(`many-${i}`, { patient: 'p3', cls: 'AMB', end: '2026-02-01T10:00:00Z' });
      return { request: { method: 'PUT', url: `Encounter/many-${i}` }, resource };
    });
    entry.push({
      request: { method: 'PUT', url: 'Condition/many-dx' },
      resource: diagnosis('many-dx', { patient: 'p3', encounter: 'many-150', system: SNOMED, code: '44054006' }) as any,
    });
    expect((await server.json('POST', '', { resourceType: 'Bundle', type: 'transaction', entry }, as('admin'))).status).toBe(200);
    const { report } = await audit(server, [
      { name: 'rule', valueCode: 'encounter-diagnosis' },
      { name: 'patient', valueReference: { reference: 'Patient/p3' } },
    ]);
    expect(report['encounter-diagnosis']).toMatchObject({ evaluated: 230, created: 229 });
  });

  it('refuses a patient-bound token (403), an unknown rule and a malformed date (400)', async () => {
    expect((await server.json('POST', '$completeness-audit', { resourceType: 'Parameters' }, as('patient-p1'))).status).toBe(403);
    const bad = async (parameter: object[]) => (await server.json('POST', '$completeness-audit', { resourceType: 'Parameters', parameter }, as('admin'))).status;
    expect(await bad([{ name: 'rule', valueCode: 'no-such-rule' }])).toBe(400);
    expect(await bad([{ name: 'start', valueDate: '01/02/2026' }])).toBe(400);
    expect(
      (
        await server.json(
          'POST',
          '$completeness-audit',
          { resourceType: 'Parameters', parameter: [{ name: 'patient', valueReference: { reference: 'Patient/nobody' } }] },
          as('admin'),
        )
      ).status,
    ).toBe(404);
  });
});
