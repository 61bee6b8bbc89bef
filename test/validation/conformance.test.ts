import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StructureDefinition, ValueSet } from 'fhir/r4';
import { checkResource, Conformance, ProfileLoadError } from '../../src/validation';
import { baseDefinition } from '../../src/validation/conformance';
import { describeIssues, errorsOf, issueAt, issuesOf, US_CORE } from './support';

/**
 * Each server validates against its own Conformance: several in one process (a bench, the loader beside a
 * server, tests) with different profile folders and enforced profiles do not see each other's definitions,
 * terminology, enforced profiles or the expansions worked out from them, whichever validates first.
 */

const BIRTH_PROFILE = 'http://example.org/fhir/StructureDefinition/patient-with-birth-date';
const GENDER_VS = 'http://hl7.org/fhir/ValueSet/administrative-gender';

/** A Patient profile made from the base snapshot, requiring birthDate. */
function birthDateProfile(): StructureDefinition {
  const base = baseDefinition('Patient')!;
  const element = base.snapshot!.element.map((el) => ({ ...el, id: el.id ?? el.path, ...(el.path === 'Patient.birthDate' ? { min: 1 } : {}) }));
  return {
    resourceType: 'StructureDefinition',
    url: BIRTH_PROFILE,
    name: 'PatientWithBirthDate',
    status: 'active',
    kind: 'resource',
    abstract: false,
    type: 'Patient',
    baseDefinition: base.url,
    derivation: 'constraint',
    snapshot: { element },
  };
}

/** The R4 administrative-gender ValueSet, overridden by url to allow `female` only. */
const femaleOnly: ValueSet = {
  resourceType: 'ValueSet',
  url: GENDER_VS,
  status: 'active',
  compose: { include: [{ system: 'http://hl7.org/fhir/administrative-gender', concept: [{ code: 'female' }] }] },
};

const patient = (extra: Record<string, unknown> = {}) => ({
  resourceType: 'Patient',
  text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Sam Shaw</div>' },
  name: [{ family: 'Shaw' }],
  gender: 'male',
  ...extra,
});

let dir: string;
/** Its folder has the birthDate profile and the female-only ValueSet. */
let first: Conformance;
/** Bundled profiles only, nothing enforced. */
let second: Conformance;
/** Bundled profiles only, US Core Patient enforced. */
let third: Conformance;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conformance-'));
  fs.writeFileSync(path.join(dir, 'StructureDefinition-patient-with-birth-date.json'), JSON.stringify(birthDateProfile()));
  fs.writeFileSync(path.join(dir, 'ValueSet-administrative-gender.json'), JSON.stringify(femaleOnly));
  first = new Conformance({ profilesDirs: [dir] });
  second = new Conformance();
  third = new Conformance({ enforcedProfiles: { Patient: [`${US_CORE}us-core-patient`] } });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('Conformances side by side in one process', () => {
  it('each knows and lists only the profiles of its own folders', async () => {
    expect(first.supportedProfiles('Patient')).toContain(BIRTH_PROFILE);
    expect(second.supportedProfiles('Patient')).not.toContain(BIRTH_PROFILE);
    const declared = patient({ meta: { profile: [BIRTH_PROFILE] } });
    expect(issueAt(await issuesOf(declared, {}, second), 'Patient', 'is not known to this server')).toMatchObject({ severity: 'warning' });
    expect(issueAt(await issuesOf(declared, {}, first), 'Patient.birthDate', 'minimum required = 1')).toMatchObject({ severity: 'error' });
    expect(issueAt(await issuesOf(declared, {}, second), 'Patient.birthDate')).toBeUndefined();
  });

  it('each expands ValueSets from its own terminology, whichever expanded first', async () => {
    const gender = (issues: Awaited<ReturnType<typeof issuesOf>>) => issueAt(issues, 'Patient.gender', 'is not in the required ValueSet');
    expect(gender(await issuesOf(patient(), {}, second))).toBeUndefined();
    expect(gender(await issuesOf(patient(), {}, first))).toMatchObject({ severity: 'error', code: 'code-invalid' });
    expect(gender(await issuesOf(patient(), {}, second))).toBeUndefined();
    expect(gender(await issuesOf(patient({ gender: 'female' }), {}, first))).toBeUndefined();
  });

  it('each enforces only its own profiles', async () => {
    const plain = patient({ gender: 'female' });
    expect(issueAt(await errorsOf(plain, {}, third), 'Patient.identifier', 'minimum required = 1')).toBeDefined();
    expect(describeIssues(await errorsOf(plain, {}, second))).toEqual([]);
    expect((await checkResource(third, plain)).failed).toBe(true);
    expect((await checkResource(first, plain)).failed).toBe(false);
  });
});

it('stops start-up on a profile folder that does not exist', () => {
  expect(() => new Conformance({ profilesDirs: [path.join(os.tmpdir(), 'no-such-profiles-folder')] })).toThrow(ProfileLoadError);
});
