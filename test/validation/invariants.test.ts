import fhirpath from 'fhirpath';
import r4model from 'fhirpath/fhir-context/r4';
import { condition, describeIssues, errorsOf, issueAt, issuesOf, US_CORE, usCorePatient } from './support';

const clinical = (code: string) => ({ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code }] });
const verification = (code: string) => ({ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code }] });

describe('layer 4: FHIRPath invariants', () => {
  it('con-4: an abated condition must not be active', async () => {
    const issues = await issuesOf(condition({ clinicalStatus: clinical('active'), abatementDateTime: '2020-01-01' }));
    expect(issueAt(issues, 'Condition', 'con-4')).toMatchObject({ severity: 'error', code: 'invariant' });
    expect(describeIssues(await errorsOf(condition({ clinicalStatus: clinical('resolved'), abatementDateTime: '2020-01-01' })))).toEqual([]);
  });

  it('con-5: an entered-in-error condition has no clinical status', async () => {
    const issues = await issuesOf(condition({ clinicalStatus: clinical('active'), verificationStatus: verification('entered-in-error') }));
    expect(issueAt(issues, 'Condition', 'con-5')).toMatchObject({ severity: 'error' });
  });

  it('pat-1: a contact needs details, reported at the contact', async () => {
    const issues = await issuesOf({ resourceType: 'Patient', contact: [{ name: { family: 'A' } }, { gender: 'male' }] });
    expect(issueAt(issues, 'Patient.contact[1]', 'pat-1')).toMatchObject({ severity: 'error' });
    expect(issueAt(issues, 'Patient.contact[0]', 'pat-1')).toBeUndefined();
  });

  it('per-1 on a data type deep in the resource', async () => {
    const issues = await issuesOf({ resourceType: 'Patient', name: [{ family: 'A', period: { start: '2020-01-01', end: '2019-01-01' } }] });
    expect(issueAt(issues, 'Patient.name[0].period', 'per-1')).toBeDefined();
  });

  it('dom-3: a contained resource nothing refers to', async () => {
    const issues = await issuesOf(condition({ contained: [{ resourceType: 'Practitioner', id: 'pr' }] }));
    expect(issueAt(issues, 'Condition', 'dom-3')).toMatchObject({ severity: 'error' });
  });

  it('ext-1: an extension has a value or extensions, not both', async () => {
    const p = { resourceType: 'Patient', extension: [{ url: 'http://example.org/x', valueString: 'a', extension: [{ url: 'y', valueString: 'b' }] }] };
    expect(issueAt(await issuesOf(p), 'Patient.extension[0]', 'ext-1')).toMatchObject({ severity: 'error' });
  });

  it("US Core's own constraints (us-core-6: a name has a family, given or data-absent-reason)", async () => {
    const p = usCorePatient();
    p.name = [{ text: 'Amy' }];
    const issue = issueAt(await issuesOf(p), 'Patient.name[0]', 'us-core-6');
    expect(issue?.diagnostics).toContain(`${US_CORE}us-core-patient`);
  });

  it("keeps a data type's constraints where a profile expands its children (cpt-2 on US Core Patient.telecom)", async () => {
    const p = usCorePatient();
    p.telecom = [{ value: '555-0100' }];
    expect(issueAt(await issuesOf(p), 'Patient.telecom[0]', 'cpt-2')).toMatchObject({ severity: 'error' });
  });

  it('reports warning-level constraints (dom-6, narrative) as warnings, not errors', async () => {
    const issues = await issuesOf({ resourceType: 'Patient' });
    expect(issueAt(issues, 'Patient', 'dom-6')).toMatchObject({ severity: 'warning' });
  });

  it('answers ref-1 from the JSON exactly as fhirpath does', () => {
    const ref1 = "reference.startsWith('#').not() or (reference.substring(1).trace('url') in %rootResource.contained.id.trace('ids'))";
    const fn = fhirpath.compile({ base: 'Reference', expression: ref1 }, r4model, { traceFn: () => undefined });
    const refs = ['Patient/p1', '#p', '#other', '#', undefined];
    return Promise.all(
      refs.map(async (reference) => {
        const resource = condition({
          subject: { reference: 'Patient/p1' },
          asserter: { reference, display: 'x' },
          contained: [{ resourceType: 'Practitioner', id: 'p' }],
        });
        const viaFhirpath = (fn(resource.asserter as object, { rootResource: resource }) as unknown[]).every((r) => r === true);
        const issues = await issuesOf(resource);
        expect(issueAt(issues, 'Condition.asserter', 'ref-1') === undefined).toBe(viaFhirpath);
      }),
    );
  });

  it('answers ext-1 from the JSON exactly as fhirpath does', () => {
    const cases = [
      { url: 'u', valueString: 'a' },
      { url: 'u', extension: [{ url: 'v', valueCode: 'c' }] },
      { url: 'u' },
      { url: 'u', valueQuantity: { value: 1 }, extension: [{ url: 'v', valueCode: 'c' }] },
    ];
    const fn = fhirpath.compile({ base: 'Extension', expression: 'extension.exists() != value.exists()' }, r4model);
    return Promise.all(
      cases.map(async (ext) => {
        const viaFhirpath = (fn(ext, {}) as unknown[])[0] === true;
        const issues = await issuesOf({ resourceType: 'Basic', code: { text: 'x' }, extension: [ext] });
        expect(issueAt(issues, 'Basic.extension[0]', 'ext-1') === undefined).toBe(viaFhirpath);
      }),
    );
  });
});

describe('invariants over values the structural layer rejected', () => {
  it('reports a Period with an unparseable end once, as a structural issue, and keeps the other findings', async () => {
    const issues = await issuesOf({
      resourceType: 'Patient',
      name: [
        { family: 'A', period: { start: '2020-01-01', end: 'garbage' } },
        { family: 'B', period: { start: '2020-01-01', end: '2019-01-01' } },
      ],
    });
    expect(issues.filter((i) => i.severity === 'error').map((i) => [i.expression?.[0], i.code])).toEqual([
      ['Patient.name[0].period.end', 'value'],
      ['Patient.name[1].period', 'invariant'],
    ]);
    expect(JSON.stringify(issues)).not.toMatch(/Cannot read properties|could not be evaluated|Could not validate/);
  });
});
