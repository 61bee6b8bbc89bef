import { isRealCalendarDate, structuralFindings } from '../../src/validation/structure';
import { checkResource } from '../../src/validation';
import { describeIssues, issueAt, issuesOf } from './support';

const patient = (extra: Record<string, unknown>) => ({ resourceType: 'Patient', ...extra });

describe('layer 1: JSON structure against the R4 JSON schema', () => {
  it('rejects a date that is not on the calendar (1985-02-30) at Patient.birthDate', async () => {
    const issues = await issuesOf(patient({ birthDate: '1985-02-30' }));
    expect(issueAt(issues, 'Patient.birthDate', 'not a real calendar date')).toMatchObject({ severity: 'error', code: 'value' });
  });

  it('accepts 29 February in a leap year and partial dates', async () => {
    for (const birthDate of ['2024-02-29', '2000-02-29', '1985', '1985-02']) {
      expect(describeIssues((await issuesOf(patient({ birthDate }))).filter((i) => i.severity === 'error'))).toEqual([]);
    }
    expect(isRealCalendarDate('1900-02-29')).toBe(false);
  });

  it('rejects an instant without a time zone at Patient.meta.lastUpdated', async () => {
    const issues = await issuesOf(patient({ meta: { lastUpdated: '2020-01-01T10:00:00' } }));
    expect(issueAt(issues, 'Patient.meta.lastUpdated', 'Invalid instant')).toBeDefined();
  });

  it('rejects a dateTime with an impossible day inside a choice element', async () => {
    const issues = await issuesOf(patient({ deceasedDateTime: '2021-04-31T10:00:00Z' }));
    expect(issueAt(issues, 'Patient.deceased.ofType(dateTime)', 'calendar')).toBeDefined();
  });

  it('reports an unknown element at its own path', async () => {
    const issues = await issuesOf(patient({ name: [{ family: 'X', nickname: 'Y' }] }));
    expect(issueAt(issues, 'Patient.name[0].nickname', "Unknown element 'nickname'")).toMatchObject({ code: 'structure' });
  });

  it('rejects empty strings, empty objects and empty arrays (ele-1)', async () => {
    const issues = await issuesOf(patient({ name: [{ given: [''] }], telecom: [], contact: [{}] }));
    expect(issueAt(issues, 'Patient.name[0].given[0]', 'Empty string')).toBeDefined();
    expect(issueAt(issues, 'Patient.telecom', 'Empty array')).toBeDefined();
    expect(issueAt(issues, 'Patient.contact[0]', 'Empty object')).toBeDefined();
  });

  it('rejects a value of the wrong JSON type once, as a type error', async () => {
    const issues = await issuesOf(patient({ active: 'yes' }));
    expect(issues.filter((i) => i.expression?.[0] === 'Patient.active')).toHaveLength(1);
    expect(issueAt(issues, 'Patient.active', 'must be a JSON boolean')).toBeDefined();
  });

  it('rejects meta given as a string, naming Patient.meta', async () => {
    const issues = await issuesOf(patient({ meta: 'x' }));
    expect(issueAt(issues, 'Patient.meta', 'a FHIR Meta must be a JSON object')).toMatchObject({ severity: 'error', code: 'structure' });
    expect((await checkResource(patient({ meta: 'x' }))).structural).toBe(true);
  });

  it.each([
    ['narrative given as a number', { text: 5 }, 'Patient.text', 'Narrative'],
    ['a HumanName given as a number inside the name array', { name: [5] }, 'Patient.name[0]', 'HumanName'],
    ['a CodeableConcept given as a string', { maritalStatus: 'x' }, 'Patient.maritalStatus', 'CodeableConcept'],
    ['a Reference given as a number', { managingOrganization: 5 }, 'Patient.managingOrganization', 'Reference'],
    ['a Reference given as an array', { managingOrganization: [{ reference: 'Organization/1' }] }, 'Patient.managingOrganization', 'Reference'],
    ['a backbone element given as a string', { contact: ['mother'] }, 'Patient.contact[0]', 'BackboneElement'],
    ['a complex element nested in a data type given as a string', { name: [{ period: '2020' }] }, 'Patient.name[0].period', 'Period'],
    ['an extension given as a string', { extension: ['x'] }, 'Patient.extension[0]', 'Extension'],
  ])('rejects %s, naming its location', async (_what, extra, location, type) => {
    const result = await checkResource(patient(extra));
    expect(result.structural).toBe(true);
    expect(issueAt(result.issues, location, `a FHIR ${type} must be a JSON object`)).toMatchObject({ severity: 'error', code: 'structure' });
  });

  it('rejects a single object where the element repeats (max = *), naming Patient.name', async () => {
    const issues = await issuesOf(patient({ name: { family: 'Shaw' } }));
    expect(issueAt(issues, 'Patient.name', 'must be a JSON array')).toMatchObject({ severity: 'error', code: 'structure' });
  });

  it('rejects a narrative div that is not a string, naming Patient.text.div', async () => {
    const issues = await issuesOf(patient({ text: { status: 'generated', div: 5 } }));
    expect(issueAt(issues, 'Patient.text.div', 'must be a JSON string')).toMatchObject({ severity: 'error' });
  });

  it('rejects two types of one choice element at once', async () => {
    const issues = await issuesOf(patient({ deceasedBoolean: true, deceasedDateTime: '2020-01-01' }));
    expect(issueAt(issues, 'Patient.deceased', 'Only one of deceasedBoolean, deceasedDateTime')).toBeDefined();
  });

  it('validates contained resources against their own type, with paths inside the container', async () => {
    const issues = await issuesOf({
      resourceType: 'Condition',
      subject: { reference: '#p' },
      contained: [{ resourceType: 'Patient', id: 'p', birthDate: '2001-13-01', shoeSize: 9 }],
    });
    expect(issueAt(issues, 'Condition.contained[0].birthDate', 'Invalid date')).toBeDefined();
    expect(issueAt(issues, 'Condition.contained[0].shoeSize', 'Unknown element')).toBeDefined();
  });

  it('marks the result structural so that a write answers 400', async () => {
    expect((await checkResource(patient({ birthDate: '1985-02-30' }))).structural).toBe(true);
    expect((await checkResource({ resourceType: 'Patient', contact: [{ gender: 'male' }] })).structural).toBe(false);
  });

  it('rejects bodies that are not resources, and unknown resource types', async () => {
    expect(describeIssues(await issuesOf([1, 2]))).toEqual([expect.stringContaining('Not a FHIR resource')]);
    expect(describeIssues(await issuesOf({ resourceType: 'Pateint' }))).toEqual([expect.stringContaining("Unknown resource type 'Pateint'")]);
  });

  it('answers a body nested too deeply to walk with an issue, not a crash', async () => {
    let ext: Record<string, unknown> = { url: 'http://example.org/e', valueString: 'a' };
    for (let i = 0; i < 20000; i++) ext = { url: 'http://example.org/e', extension: [ext] };
    const result = await checkResource(patient({ extension: [ext] }));
    expect(result.structural).toBe(true);
    expect(describeIssues(result.issues)).toEqual([expect.stringContaining('nested too deeply')]);
  });

  it('roots paths of nested resources where they are', () => {
    const f = structuralFindings({ resourceType: 'Patient', foo: 1 }, 'Patient', 'Bundle.entry[2].resource');
    expect(f[0].issue.expression).toEqual(['Bundle.entry[2].resource.foo']);
  });
});

describe('primitive arrays with extensions', () => {
  const absent = { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'unknown' }] };

  it('accepts a null value where the _name array carries extensions', async () => {
    const p = { resourceType: 'Patient', name: [{ given: [null, 'B'], _given: [absent, null] }] };
    expect(describeIssues((await issuesOf(p)).filter((i) => i.severity === 'error'))).toEqual([]);
  });

  it('rejects a null with nothing at the same position of _name', async () => {
    const issues = await issuesOf({ resourceType: 'Patient', name: [{ given: [null, 'B'] }] });
    expect(issueAt(issues, 'Patient.name[0].given[0]', 'Null with no extension')).toBeDefined();
  });

  it('still reports a wrong type in such an array once', async () => {
    const issues = await issuesOf({ resourceType: 'Patient', name: [{ given: [1, 'B'] }] });
    expect(issues.filter((i) => i.expression?.[0] === 'Patient.name[0].given[0]')).toHaveLength(1);
  });
});
