import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Resource } from 'fhir/r4';
import defaults from '../../src/retention/default-policy.json';
import { retentionFromEnv } from '../../src/retention';
import { SearchContext } from '../../src/search';

/** Loads a policy document as RETENTION_POLICY_FILE would; returns its path in errors. */
function load(doc: unknown) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'retention-'));
  const file = path.join(dir, 'policy.json');
  fs.writeFileSync(file, typeof doc === 'string' ? doc : JSON.stringify(doc));
  try {
    return retentionFromEnv({ RETENTION_POLICY_FILE: file }, new SearchContext());
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
}

const changed = (change: (doc: any) => void) => {
  const doc = structuredClone(defaults) as any;
  change(doc);
  return doc;
};

describe('the retention policy file', () => {
  it('ships a default with the adult, minor and deceased rules, saying it is an example and not legal advice', () => {
    const retention = retentionFromEnv({}, new SearchContext());
    expect(retention.policy.rules.map((r) => r.id)).toEqual(['adult', 'minor', 'deceased']);
    expect(retention.policy.notice).toMatch(/EXAMPLE ONLY, NOT LEGAL ADVICE/);
    expect(retention.policy.source).toBe('src/retention/default-policy.json');
  });

  it('asks for the sorted index of each date it reads: Encounter.date, and each scoped rule resource-date', () => {
    const retention = load(changed((d) => (d.rules[3].enabled = true)));
    expect(retention.indexSpecs('Encounter')).toEqual([{ key: { c: 1, 's.o.date.d': -1 }, name: 'retention_date' }]);
    expect(retention.indexSpecs('DiagnosticReport')).toEqual([{ key: { c: 1, 's.o.date.d': -1 }, name: 'retention_date' }]);
    expect(retentionFromEnv({}, new SearchContext()).indexSpecs('DiagnosticReport')).toEqual([]);
  });

  it.each([
    ['not JSON', '{', /RETENTION_POLICY_FILE .*policy\.json cannot be read as JSON/],
    [
      'a wrong shape, naming the rule',
      changed((d) => (d.rules[1].action = 'shred')),
      /policy\.json: rule minor: \/rules\/1\/action must be equal to one of the allowed values/,
    ],
    ['a rule listed twice', changed((d) => (d.rules[1].id = 'adult')), /rule adult is listed twice/],
    ['an unknown time zone', changed((d) => (d.timeZone = 'Mars/Olympus_Mons')), /timeZone: 'Mars\/Olympus_Mons' is not a known IANA time zone/],
    ['a period in hours', changed((d) => (d.rules[0].triggers[0].period = 'PT24H')), /policy\.json: rule adult: \/rules\/0\/triggers\/0\/period must match pattern/],
    ['a trigger without a period', changed((d) => delete d.rules[0].triggers[0].period), /rule adult: triggers\[0\] \(last-encounter-end\) has no period/],
    [
      'a scope on a type that does not exist',
      changed((d) => (d.rules[3].scope = ['Chart?x=1'])),
      /rule example-genetic-reports: scope Chart\?x=1: Chart is not a resource type/,
    ],
    [
      'a scope query that cannot run',
      changed((d) => (d.rules[3].scope = ['DiagnosticReport?nonsense=1'])),
      /rule example-genetic-reports: scope DiagnosticReport\?nonsense=1 is not a search/,
    ],
    [
      'a resource date that is no date parameter',
      changed((d) => (d.rules[3].triggers[0].param = 'status')),
      /rule example-genetic-reports: .*DiagnosticReport has no date search parameter 'status'/,
    ],
    ['a resource date without a scope', changed((d) => (d.rules[0].triggers[0] = { on: 'resource-date', param: 'date', period: 'P1Y' })), /rule adult: .*needs a scope/],
    [
      'a membership element that is not a Reference',
      changed((d) => (d.membership.types.Coverage.belongsVia = ['Coverage.status'])),
      /membership\.types\.Coverage\.belongsVia: Coverage\.status is not a Reference element/,
    ],
    ['a membership type that does not exist', changed((d) => (d.membership.types.Chart = { belongsVia: [] })), /membership\.types names Chart/],
    ['an encounter query that cannot run', changed((d) => (d.lastEncounter.query = 'colour=red')), /lastEncounter\.query is not a search on Encounter/],
  ])('stops start-up on %s, naming the file', (_what, doc, message) => {
    expect(() => load(doc)).toThrow(message);
  });
});

describe('membership: what belongs to a record and what is shared', () => {
  const retention = retentionFromEnv({}, new SearchContext());
  const role = (resource: object, patient = 'p') => retention.roleOf(resource as Resource, patient, 'http://example.org/fhir');

  it('says which elements make each type the patient’s, from the file or the default subject/patient', () => {
    expect(retention.membershipOf('Coverage')).toMatchObject({ belongsVia: ['Coverage.beneficiary'], kept: false });
    expect(retention.membershipOf('Observation')).toMatchObject({ belongsVia: ['Observation.subject'], remove: [] });
    expect(retention.membershipOf('AllergyIntolerance').belongsVia).toEqual(['AllergyIntolerance.patient']);
    expect(retention.membershipOf('Group')).toMatchObject({ sharedWhen: 'always', remove: [{ element: 'Group.member', when: 'entity' }] });
    expect(retention.membershipOf('AuditEvent').kept).toBe(true);
  });

  it('classifies resources', () => {
    expect(role({ resourceType: 'Patient', id: 'p' })).toBe('member');
    expect(role({ resourceType: 'Observation', subject: { reference: 'Patient/p' } })).toBe('member');
    expect(role({ resourceType: 'Observation', subject: { reference: 'http://example.org/fhir/Patient/p' } })).toBe('member');
    expect(role({ resourceType: 'Observation', subject: { reference: 'Patient/q' }, performer: [{ reference: 'Patient/p' }] })).toBe('shared');
    expect(role({ resourceType: 'Observation', subject: { reference: 'Patient/q' } })).toBe('none');
    expect(role({ resourceType: 'Coverage', beneficiary: { reference: 'Patient/p' }, subscriber: { reference: 'Patient/q' } })).toBe('member');
    expect(role({ resourceType: 'Coverage', beneficiary: { reference: 'Patient/q' }, subscriber: { reference: 'Patient/p' } })).toBe('shared');
    expect(role({ resourceType: 'Group', member: [{ entity: { reference: 'Patient/p' } }] })).toBe('shared');
    const appointment = (...actors: string[]) => ({ resourceType: 'Appointment', participant: actors.map((a) => ({ actor: { reference: a } })) });
    expect(role(appointment('Patient/p', 'Practitioner/dr'))).toBe('member');
    expect(role(appointment('Patient/p', 'Patient/q'))).toBe('shared');
    expect(role({ resourceType: 'CareTeam', subject: { reference: 'Patient/p' }, participant: [{ member: { reference: 'Patient/q' } }] })).toBe('shared');
    expect(role({ resourceType: 'AuditEvent', entity: [{ what: { reference: 'Patient/p' } }] })).toBe('kept');
  });
});
