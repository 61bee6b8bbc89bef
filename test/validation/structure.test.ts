import { isRealCalendarDate, structuralFindings } from '../../src/validation/structure';
import { checkResource } from '../../src/validation';
import { bundled, describeIssues, issueAt, issuesOf } from './support';

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
    expect((await checkResource(bundled, patient({ meta: 'x' }))).structural).toBe(true);
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
    const result = await checkResource(bundled, patient(extra));
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
    expect((await checkResource(bundled, patient({ birthDate: '1985-02-30' }))).structural).toBe(true);
    expect((await checkResource(bundled, { resourceType: 'Patient', contact: [{ gender: 'male' }] })).structural).toBe(false);
  });

  it('rejects bodies that are not resources, and unknown resource types', async () => {
    expect(describeIssues(await issuesOf([1, 2]))).toEqual([expect.stringContaining('Not a FHIR resource')]);
    expect(describeIssues(await issuesOf({ resourceType: 'Pateint' }))).toEqual([expect.stringContaining("Unknown resource type 'Pateint'")]);
  });

  it('answers a body nested too deeply to walk with an issue, not a crash', async () => {
    let ext: Record<string, unknown> = { url: 'http://example.org/e', valueString: 'a' };
    for (let i = 0; i < 20000; i++) ext = { url: 'http://example.org/e', extension: [ext] };
    const result = await checkResource(bundled, patient({ extension: [ext] }));
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

  it('rejects a _given array longer than given', async () => {
    const issues = await issuesOf({ resourceType: 'Patient', name: [{ given: ['A'], _given: [null, absent] }] });
    expect(issueAt(issues, 'Patient.name[0].given', 'same length')).toMatchObject({ severity: 'error', code: 'structure' });
  });

  it('still reports a wrong type in such an array once', async () => {
    const issues = await issuesOf({ resourceType: 'Patient', name: [{ given: [1, 'B'] }] });
    expect(issues.filter((i) => i.expression?.[0] === 'Patient.name[0].given[0]')).toHaveLength(1);
  });
});

describe('primitive values the schema patterns cannot check', () => {
  const errorsAt = async (resource: Record<string, unknown>) => (await issuesOf(resource)).filter((i) => i.severity === 'error').map((i) => i.expression?.[0]);

  it.each([
    ['positiveInt 0', { url: 'http://example.org/x', valuePositiveInt: 0 }, 'positiveInt'],
    ['positiveInt -1', { url: 'http://example.org/x', valuePositiveInt: -1 }, 'positiveInt'],
    ['positiveInt 1.5', { url: 'http://example.org/x', valuePositiveInt: 1.5 }, 'positiveInt'],
    ['unsignedInt -1', { url: 'http://example.org/x', valueUnsignedInt: -1 }, 'unsignedInt'],
    ['integer 1.5', { url: 'http://example.org/x', valueInteger: 1.5 }, 'integer'],
    ['integer 2147483648 (past 32 bits)', { url: 'http://example.org/x', valueInteger: 2147483648 }, 'integer'],
  ])('rejects %s in an extension', async (_, extension, type) => {
    const issues = await issuesOf(patient({ extension: [extension] }));
    expect(issueAt(issues, `Patient.extension[0].value.ofType(${type})`, `Invalid ${type}`)).toMatchObject({ severity: 'error', code: 'value' });
  });

  it('checks integer ranges on elements and inlined choice variants too', async () => {
    expect(await errorsAt(patient({ multipleBirthInteger: 2147483648, photo: [{ size: -1 }] }))).toEqual(
      expect.arrayContaining(['Patient.multipleBirth.ofType(integer)', 'Patient.photo[0].size']),
    );
    expect(await errorsAt(patient({ multipleBirthInteger: -2147483648, photo: [{ size: 0 }] }))).toEqual([]);
  });

  it('checks base64Binary wherever the type occurs (Attachment.data, Attachment.hash, Patient.photo)', async () => {
    const bad = await errorsAt(patient({ photo: [{ contentType: 'image/png', data: '!!!!', hash: 'abc' }] }));
    expect(bad).toEqual(expect.arrayContaining(['Patient.photo[0].data', 'Patient.photo[0].hash']));
    expect(await errorsAt(patient({ photo: [{ contentType: 'image/png', data: 'aGVsbG8=', hash: 'YWJj' }] }))).toEqual([]);
  });

  it('checks a long base64 value with spaces quickly (no regex backtracking)', async () => {
    const value = `${'QUJD '.repeat(20_000)}!`;
    expect(await errorsAt({ resourceType: 'Binary', contentType: 'text/plain', data: value })).toEqual(['Binary.data']);
  });

  it('rejects an empty extension url (ele-1)', async () => {
    const issues = await issuesOf(patient({ extension: [{ url: '', valueString: 'x' }] }));
    expect(issueAt(issues, 'Patient.extension[0].url', 'Empty string')).toMatchObject({ severity: 'error' });
  });

  it('rejects a string over R4 1 MB limit, naming it without echoing it', async () => {
    const issues = await issuesOf(patient({ name: [{ family: 'x'.repeat(1024 * 1024 + 1) }] }));
    const issue = issueAt(issues, 'Patient.name[0].family', '1048576 bytes');
    expect(issue).toMatchObject({ severity: 'error', code: 'too-long' });
    expect(JSON.stringify(issues).length).toBeLessThan(5000);
    expect(await errorsAt(patient({ name: [{ family: 'x'.repeat(1024 * 1024) }] }))).toEqual([]);
  });

  it('rejects a narrative div without the XHTML namespace, and content outside the allowed XHTML (txt-1, txt-2)', async () => {
    const div = (d: string) => patient({ text: { status: 'generated', div: d } });
    const ns = 'xmlns="http://www.w3.org/1999/xhtml"';
    expect(issueAt(await issuesOf(div('<div>Amy</div>')), 'Patient.text.div', 'XHTML namespace')).toMatchObject({ severity: 'error' });
    expect(issueAt(await issuesOf(div(`<p ${ns}>Amy</p>`)), 'Patient.text.div', 'single <div>')).toBeDefined();
    expect(issueAt(await issuesOf(div(`<div ${ns}><script>alert(1)</script>Amy</div>`)), 'Patient.text.div', 'txt-1')).toBeDefined();
    expect(issueAt(await issuesOf(div(`<div ${ns}><p onclick="x">Amy</p></div>`)), 'Patient.text.div', 'txt-1')).toBeDefined();
    expect(issueAt(await issuesOf(div(`<div ${ns}> <p/> </div>`)), 'Patient.text.div', 'txt-2')).toBeDefined();
    expect(await errorsAt(div(`<div ${ns}><p class="x">Amy <b>Shaw</b></p></div>`))).toEqual([]);
  });

  it('rejects narrative links that run code, however they are spelled, and keeps ordinary links and images', async () => {
    const div = (d: string) => patient({ text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${d}</div>` } });
    const active = [
      '<a href="javascript:alert(1)">x</a>',
      "<a href=' JavaScript:alert(1)'>x</a>",
      '<a href="java&#x09;script:alert(1)">x</a>',
      '<a href="javascript&#58;alert(1)">x</a>',
      '<a href="vbscript:msgbox(1)">x</a>',
      '<img src="data:text/html;base64,PHNjcmlwdD4=" alt="x"/>',
    ];
    for (const link of active) {
      expect({ link, issue: issueAt(await issuesOf(div(link)), 'Patient.text.div', 'must not run code') }).toEqual({ link, issue: expect.anything() });
    }
    expect(await errorsAt(div('<a href="https://example.org/a?b=c&amp;d=e">x</a> <a href="#s1">y</a> <img src="data:image/png;base64,iVBORw0KGgo=" alt="p"/>'))).toEqual(
      [],
    );
  });

  it('reports a JSON number where a code belongs as a type error, not as an unknown code', async () => {
    const issues = await issuesOf(patient({ gender: 5 }));
    expect(issues.filter((i) => i.severity === 'error')).toEqual([
      expect.objectContaining({ code: 'structure', expression: ['Patient.gender'], diagnostics: expect.stringContaining('a FHIR code must be a JSON string') }),
    ]);
  });
});

describe('one issue per defect, named as FHIRPath names it', () => {
  it('reports a date that matches neither the pattern nor the calendar once', async () => {
    const issues = (await issuesOf(patient({ birthDate: '1985-02-30x', deceasedDateTime: '2021-04-31T25:00:00Z' }))).filter((i) => i.severity === 'error');
    expect(issues.map((i) => i.expression?.[0])).toEqual(['Patient.birthDate', 'Patient.deceased.ofType(dateTime)']);
  });

  it("names a primitive's extension Patient.birthDate.extension[0], not Patient._birthDate", async () => {
    const issues = await issuesOf(patient({ _birthDate: { extension: [{ url: 5 }] }, name: [{ given: ['A'], _given: [{ extension: [{ url: 5 }] }] }] }));
    expect(issueAt(issues, 'Patient.birthDate.extension[0].url', 'must be a JSON string')).toBeDefined();
    expect(issueAt(issues, 'Patient.name[0].given[0].extension[0].url', 'must be a JSON string')).toBeDefined();
    expect(JSON.stringify(issues)).not.toContain('._');
  });
});

describe('contained resources', () => {
  const withContained = (contained: unknown[]) => ({
    resourceType: 'Observation',
    status: 'final',
    code: { text: 'x' },
    subject: { reference: '#p1' },
    contained,
  });

  it('rejects a contained resource without an id', async () => {
    const result = await checkResource(bundled, withContained([{ resourceType: 'Patient', id: 'p1' }, { resourceType: 'Patient' }]));
    expect(issueAt(result.issues, 'Observation.contained[1].id', 'must have an id')).toMatchObject({ severity: 'error' });
    expect(result.structural).toBe(true);
  });

  it('rejects two contained resources with the same id', async () => {
    const issues = await issuesOf(
      withContained([
        { resourceType: 'Patient', id: 'p1' },
        { resourceType: 'Patient', id: 'p1' },
      ]),
    );
    expect(issueAt(issues, 'Observation.contained[1].id', "already has the id 'p1'")).toMatchObject({ severity: 'error', code: 'duplicate' });
    expect(issueAt(issues, 'Observation.contained[0].id')).toBeUndefined();
  });
});
