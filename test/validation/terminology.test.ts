import { expand, membership } from '../../src/validation/valueset-expansion';
import { bundled, condition, issueAt, issuesOf, usCorePatient } from './support';

const actCode = (code: string) => ({ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code });
const clinical = (code: string) => ({ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code }] });

describe('layer 3: bindings against bundled ValueSets', () => {
  it('rejects a code outside a required ValueSet (Condition.clinicalStatus)', async () => {
    const issues = await issuesOf(condition({ clinicalStatus: clinical('cured') }));
    expect(issueAt(issues, 'Condition.clinicalStatus', 'is not in the required ValueSet')).toMatchObject({
      severity: 'error',
      code: 'code-invalid',
    });
  });

  it('accepts a code of a required ValueSet, and CodeableConcepts with one matching coding among others', async () => {
    const cc = { coding: [{ system: 'http://example.org/local', code: 'x' }, ...clinical('active').coding] };
    const issues = await issuesOf(condition({ clinicalStatus: cc }));
    expect(issues.filter((i) => i.expression?.[0] === 'Condition.clinicalStatus')).toEqual([]);
  });

  it('rejects Condition.clinicalStatus given as text only: a required binding needs a coding from the ValueSet', async () => {
    const issues = await issuesOf(condition({ clinicalStatus: { text: 'active' } }));
    expect(issueAt(issues, 'Condition.clinicalStatus', 'required ValueSet')).toMatchObject({ severity: 'error', code: 'code-invalid' });
  });

  it('rejects a required CodeableConcept whose codings carry no code', async () => {
    const cc = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', display: 'Active' }] };
    const issues = await issuesOf(condition({ clinicalStatus: cc }));
    expect(issueAt(issues, 'Condition.clinicalStatus', 'required ValueSet')).toMatchObject({ severity: 'error' });
  });

  it('rejects a coding without a system in a required binding: it cannot be shown to be a member', async () => {
    const issues = await issuesOf(condition({ clinicalStatus: { coding: [{ code: 'active' }] } }));
    expect(issueAt(issues, 'Condition.clinicalStatus', 'without a system')).toMatchObject({ severity: 'error', code: 'code-invalid' });
  });

  it('still rejects a coding without a system next to a coding of another system', async () => {
    const cc = { coding: [{ system: 'http://example.org/local', code: 'x' }, { code: 'active' }] };
    const issues = await issuesOf(condition({ clinicalStatus: cc }));
    expect(issueAt(issues, 'Condition.clinicalStatus', 'without a system')).toMatchObject({ severity: 'error' });
  });

  it('only warns for a coding without a system in an extensible binding (Condition.category, Encounter.class)', async () => {
    const issues = await issuesOf(condition({ category: [{ coding: [{ code: 'problem-list-item' }] }] }));
    expect(issueAt(issues, 'Condition.category[0]', 'without a system')).toMatchObject({ severity: 'warning' });
    const encounter = {
      resourceType: 'Encounter',
      status: 'finished',
      class: { code: 'AMB' },
      text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Visit</div>' },
    };
    const encounterIssues = await issuesOf(encounter);
    expect(issueAt(encounterIssues, 'Encounter.class', 'without a system')).toMatchObject({ severity: 'warning' });
    expect(encounterIssues.filter((i) => i.severity === 'error')).toEqual([]);
  });

  it('accepts text alone in an extensible binding (no suitable code may exist)', async () => {
    const issues = await issuesOf(condition({ category: [{ text: 'Problem' }] }));
    expect(issues.filter((i) => i.expression?.[0] === 'Condition.category[0]')).toEqual([]);
  });

  it('keeps checking bare codes (code datatype) without a system, as members of any system of the ValueSet', async () => {
    const good = await issuesOf({ ...usCorePatient(), gender: 'female' });
    expect(good.filter((i) => i.expression?.[0] === 'Patient.gender')).toEqual([]);
    const encounter = await issuesOf({ resourceType: 'Encounter', status: 'finished', class: actCode('AMB') });
    expect(encounter.filter((i) => i.expression?.[0] === 'Encounter.status')).toEqual([]);
  });

  it('warns, without rejecting, for a code outside an extensible binding', async () => {
    const issues = await issuesOf(condition({ category: [{ coding: [{ system: 'http://example.org/cat', code: 'z' }] }] }));
    expect(issueAt(issues, 'Condition.category[0]', 'extensible ValueSet')).toMatchObject({ severity: 'warning' });
  });

  it('reports a binding it cannot expand locally as not checked, never as valid', async () => {
    const p = usCorePatient();
    p.address = [{ state: 'ZZ' }];
    const issue = issueAt(await issuesOf(p), 'Patient.address[0].state', 'not checked');
    expect(issue).toMatchObject({ severity: 'information' });
    expect(issue?.diagnostics).toContain('us-core-usps-state');
  });
});

describe('ValueSet expansion from bundled CodeSystems', () => {
  it('expands a whole CodeSystem include', () => {
    const exp = expand(bundled, 'http://hl7.org/fhir/ValueSet/condition-clinical');
    expect(membership(exp, 'http://terminology.hl7.org/CodeSystem/condition-clinical', 'remission')).toBe('member');
    expect(membership(exp, 'http://terminology.hl7.org/CodeSystem/condition-clinical', 'cured')).toBe('not-member');
    expect(membership(exp, 'http://example.org/other', 'active')).toBe('not-member');
    // A bare code (a `code` element) has no system to give: it matches the code in any system of the ValueSet.
    expect(membership(exp, undefined, 'active')).toBe('member');
  });

  it('evaluates is-a and is-not-a filters on the CodeSystem hierarchy', () => {
    const encounterCodes = expand(bundled, 'http://terminology.hl7.org/ValueSet/v3-ActEncounterCode');
    expect(membership(encounterCodes, 'http://terminology.hl7.org/CodeSystem/v3-ActCode', 'AMB')).toBe('member');
    expect(membership(encounterCodes, 'http://terminology.hl7.org/CodeSystem/v3-ActCode', 'CPT')).toBe('not-member');
    const contactRelationship = expand(bundled, 'http://hl7.org/fhir/ValueSet/patient-contactrelationship');
    expect(membership(contactRelationship, 'http://terminology.hl7.org/CodeSystem/v2-0131', 'N')).toBe('member');
    expect(membership(contactRelationship, 'http://terminology.hl7.org/CodeSystem/v2-0131', 'O')).toBe('not-member');
  });

  it('expands US Core ValueSets from the bundled US Core CodeSystems', () => {
    const exp = expand(bundled, 'http://hl7.org/fhir/us/core/ValueSet/us-core-documentreference-category');
    const system = 'http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category';
    expect(membership(exp, system, 'clinical-note')).toBe('member');
    expect(membership(exp, system, 'no-such-code')).toBe('not-member');
  });

  it('knows what it does not know: SNOMED CT parts are unknown, not absent', () => {
    const exp = expand(bundled, 'http://hl7.org/fhir/us/core/ValueSet/us-core-condition-code');
    expect(membership(exp, 'http://snomed.info/sct', '195967001')).toBe('unknown');
    expect(expand(bundled, 'http://example.org/ValueSet/missing').opaque).toContain('not available locally');
  });
});
