import { condition, describeIssues, errorsOf, issueAt, issuesOf } from './support';

const existing = new Set(['Patient/p1', 'Encounter/e1']);
const repository = {
  referenceExists: async (type: string, id: string) => existing.has(`${type}/${id}`),
  storedTypes: (type: string) => type !== 'Organization',
};

describe('layer 5: references', () => {
  it('accepts references to resources that exist', async () => {
    const c = condition({ encounter: { reference: 'Encounter/e1' } });
    expect(describeIssues(await errorsOf(c, repository))).toEqual([]);
  });

  it('rejects a reference to a resource that does not exist, at its reference element', async () => {
    const issues = await issuesOf(condition({ subject: { reference: 'Patient/missing' } }), repository);
    expect(issueAt(issues, 'Condition.subject.reference', 'Patient/missing does not exist')).toMatchObject({
      severity: 'error',
      code: 'not-found',
    });
  });

  it('looks up versioned references by their resource id', async () => {
    const issues = await issuesOf(condition({ subject: { reference: 'Patient/p1/_history/3' } }), repository);
    expect(describeIssues(issues.filter((i) => i.severity === 'error'))).toEqual([]);
  });

  it('does not look up types the server does not store, or absolute URLs', async () => {
    const c = condition({
      asserter: { reference: 'http://other.example.org/fhir/Practitioner/zz' },
      extension: [{ url: 'http://example.org/managing-org', valueReference: { reference: 'Organization/o9' } }],
    });
    expect(describeIssues(await errorsOf(c, repository))).toEqual([]);
  });

  it('rejects a target type the element does not allow', async () => {
    const issues = await issuesOf(condition({ subject: { reference: 'Practitioner/p1' } }), repository);
    expect(issueAt(issues, 'Condition.subject.reference', 'Reference to Practitioner is not allowed')).toMatchObject({ severity: 'error' });
    const absolute = await issuesOf(condition({ subject: { reference: 'http://x.example.org/fhir/Device/d' } }));
    expect(issueAt(absolute, 'Condition.subject.reference', 'Reference to Device is not allowed')).toBeDefined();
  });

  it('falls back to the base element when a US Core target profile is not bundled', async () => {
    const issues = await issuesOf(
      {
        resourceType: 'Encounter',
        meta: { profile: ['http://hl7.org/fhir/us/core/StructureDefinition/us-core-encounter'] },
        status: 'finished',
        class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
        type: [{ text: 'visit' }],
        subject: { reference: 'Patient/p1' },
        participant: [{ individual: { reference: 'Device/d1' } }],
      },
      repository,
    );
    expect(issueAt(issues, 'Encounter.participant[0].individual.reference', 'Reference to Device is not allowed')).toBeDefined();
  });

  it('rejects a reference whose type element contradicts it, and malformed references', async () => {
    const issues = await issuesOf(condition({ subject: { reference: 'Patient/p1', type: 'Group' }, asserter: { reference: 'not a reference' } }), repository);
    expect(issueAt(issues, 'Condition.subject.reference', "contradicts its type 'Group'")).toBeDefined();
    expect(issueAt(issues, 'Condition.asserter.reference', 'Invalid reference')).toBeDefined();
  });

  it('requires a local reference to name a contained resource', async () => {
    const bad = await issuesOf(condition({ subject: { reference: '#nobody' } }));
    expect(issueAt(bad, 'Condition.subject.reference', 'does not match any contained resource')).toMatchObject({ code: 'not-found' });
    const good = condition({ subject: { reference: '#p' }, contained: [{ resourceType: 'Patient', id: 'p', name: [{ family: 'A' }] }] });
    expect(describeIssues(await errorsOf(good))).toEqual([]);
  });

  it('checks a reference to a contained resource against the target types of the element', async () => {
    const observation = (contained: Record<string, unknown>) => ({
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'x' },
      subject: { reference: '#o1' },
      contained: [contained],
    });
    const issues = await issuesOf(observation({ resourceType: 'Organization', id: 'o1', name: 'Acme' }));
    expect(issueAt(issues, 'Observation.subject.reference', 'Reference to Organization is not allowed here')).toMatchObject({ severity: 'error' });
    expect(describeIssues(await errorsOf(observation({ resourceType: 'Patient', id: 'o1' })))).toEqual([]);
  });

  it('refuses a urn:uuid reference outside a Bundle once references are checked: it names no resource', async () => {
    const c = condition({ subject: { reference: 'urn:uuid:4b1e6b3c-7c1d-4a35-9f51-52d1f4f0a0a1' } });
    expect(issueAt(await issuesOf(c, repository), 'Condition.subject.reference', "names a Bundle entry's fullUrl")).toMatchObject({
      severity: 'error',
      code: 'not-found',
    });
    expect(describeIssues(await errorsOf(c))).toEqual([]);
  });

  it('leaves urn:uuid references inside a Bundle to its entries, however deep', async () => {
    const subject = { reference: 'urn:uuid:4b1e6b3c-7c1d-4a35-9f51-52d1f4f0a0a1' };
    const document = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        { fullUrl: subject.reference, resource: { resourceType: 'Patient' } },
        { fullUrl: 'urn:uuid:4b1e6b3c-7c1d-4a35-9f51-52d1f4f0a0a2', resource: condition({ subject }) },
      ],
    };
    expect(describeIssues(await errorsOf(document, repository))).toEqual([]);
  });

  it('asks the repository once per reference, all at once', async () => {
    const asked: string[] = [];
    const c = condition({ subject: { reference: 'Patient/p1' }, encounter: { reference: 'Encounter/e1' } });
    await issuesOf(c, { ...repository, referenceExists: async (t, id) => (asked.push(`${t}/${id}`), true) });
    expect(asked.sort()).toEqual(['Encounter/e1', 'Patient/p1']);
  });
});
