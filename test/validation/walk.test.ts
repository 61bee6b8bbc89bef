import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ElementDefinition, StructureDefinition } from 'fhir/r4';
import { checkResource, Conformance } from '../../src/validation';
import { baseDefinition } from '../../src/validation/conformance';
import { bundled, condition, describeIssues, errorsOf, issueAt, issuesOf, US_CORE, usCorePatient } from './support';

const PROFILE = 'http://example.org/fhir/StructureDefinition/strict-condition';
const BROKEN = 'http://example.org/fhir/StructureDefinition/broken-condition';
const PROBLEM = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'problem-list-item' }] };

/**
 * A user profile, made from the base Condition snapshot the way a profile author's tooling would: fixed and
 * pattern values, a tighter cardinality, a prohibited element, a restricted choice and closed slicing.
 */
function strictConditionProfile(): StructureDefinition {
  const base = baseDefinition('Condition')!;
  const elements: ElementDefinition[] = [];
  for (const src of base.snapshot!.element) {
    const el: ElementDefinition = { ...src, id: src.id ?? src.path };
    if (el.path === 'Condition.code') el.patternCodeableConcept = { coding: [{ system: 'http://snomed.info/sct' }] };
    if (el.path === 'Condition.clinicalStatus') el.min = 1;
    if (el.path === 'Condition.severity') el.max = '0';
    if (el.path === 'Condition.onset[x]') el.type = [{ code: 'dateTime' }];
    if (el.path === 'Condition.language') el.fixedCode = 'en';
    elements.push(el);
    if (el.path === 'Condition.category') {
      el.slicing = { discriminator: [{ type: 'pattern', path: '$this' }], rules: 'closed' };
      elements.push({ ...el, id: 'Condition.category:problem', sliceName: 'problem', slicing: undefined, min: 1, max: '1', patternCodeableConcept: PROBLEM });
    }
  }
  return {
    resourceType: 'StructureDefinition',
    url: PROFILE,
    name: 'StrictCondition',
    status: 'active',
    kind: 'resource',
    abstract: false,
    type: 'Condition',
    baseDefinition: base.url,
    derivation: 'constraint',
    snapshot: { element: elements },
  };
}

let dir: string;
/** The bundled profiles and a folder with the strict and the broken profile, as PROFILES_DIR would add it. */
let withFolder: Conformance;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'profiles-'));
  fs.mkdirSync(path.join(dir, 'package', 'example'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'package', 'StructureDefinition-strict-condition.json'), JSON.stringify(strictConditionProfile()));
  const broken = {
    ...strictConditionProfile(),
    url: BROKEN,
    snapshot: {
      element: [
        { id: 'Condition', path: 'Condition' },
        { id: 'Condition.code.coding', path: 'Condition.code.coding' },
      ],
    },
  };
  fs.writeFileSync(path.join(dir, 'package', 'StructureDefinition-broken.json'), JSON.stringify(broken));
  // Examples inside a package are data, not definitions: a broken one must not stop loading.
  fs.writeFileSync(path.join(dir, 'package', 'example', 'Condition-x.json'), '{ not json');
  withFolder = new Conformance({ profilesDirs: [dir] });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const strict = (extra: Record<string, unknown>) =>
  condition({
    meta: { profile: [PROFILE] },
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
    code: { coding: [{ system: 'http://snomed.info/sct', code: '195967001' }] },
    category: [PROBLEM],
    ...extra,
  });

describe('layer 2: StructureDefinition snapshots (base, meta.profile, required profiles)', () => {
  it('picks up profiles from an added folder and lists them per type', () => {
    expect(withFolder.supportedProfiles('Condition')).toEqual(expect.arrayContaining([PROFILE, `${US_CORE}us-core-condition-encounter-diagnosis`]));
    expect(withFolder.supportedProfiles('Patient')).toContain(`${US_CORE}us-core-patient`);
  });

  it('accepts a resource that meets the user profile', async () => {
    expect(describeIssues(await errorsOf(strict({}), {}, withFolder))).toEqual([]);
  });

  it('reports a missing required element of the base definition (Encounter.status)', async () => {
    const issues = await issuesOf({ resourceType: 'Encounter', class: { code: 'AMB' } });
    expect(issueAt(issues, 'Encounter.status', 'minimum required = 1')).toMatchObject({ severity: 'error', code: 'required' });
  });

  it('reports cardinality a profile tightens, naming the profile', async () => {
    const p = usCorePatient();
    delete p.name;
    const issue = issueAt(await issuesOf(p), 'Patient.name', 'minimum required = 1');
    expect(issue?.diagnostics).toContain(`${US_CORE}us-core-patient`);
    expect(issueAt(await issuesOf(strict({ clinicalStatus: undefined }), {}, withFolder), 'Condition.clinicalStatus', 'minimum required = 1')).toBeDefined();
  });

  it('reports an element the profile prohibits (max 0)', async () => {
    const issues = await issuesOf(strict({ severity: { text: 'mild' } }), {}, withFolder);
    expect(issueAt(issues, 'Condition.severity', 'is not allowed')).toBeDefined();
  });

  it('reports a value that does not match the pattern', async () => {
    const issues = await issuesOf(strict({ code: { coding: [{ system: 'http://loinc.org', code: '1-8' }] } }), {}, withFolder);
    expect(issueAt(issues, 'Condition.code', 'Value must match')).toMatchObject({ code: 'value' });
  });

  it('reports a value that differs from the fixed value', async () => {
    const issues = await issuesOf(strict({ language: 'fr' }), {}, withFolder);
    expect(issueAt(issues, 'Condition.language', 'Value must be "en"')).toBeDefined();
  });

  it('reports a choice type the profile does not allow', async () => {
    const issues = await issuesOf(strict({ onsetString: 'childhood' }), {}, withFolder);
    expect(issueAt(issues, 'Condition.onset.ofType(string)', 'Type string is not allowed')).toBeDefined();
  });

  it('reports an item matching no slice when slicing is closed, and a missing required slice', async () => {
    const issues = await issuesOf(strict({ category: [{ text: 'other' }] }), {}, withFolder);
    expect(issueAt(issues, 'Condition.category[0]', 'does not match any of the slices')).toBeDefined();
    expect(issueAt(issues, 'Condition.category', "slice 'problem'): minimum required = 1")).toBeDefined();
  });

  it('reports the US Core category slice a Condition lacks (pattern slicing by a required ValueSet)', async () => {
    const c = condition({
      meta: { profile: [`${US_CORE}us-core-condition-problems-health-concerns`] },
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'encounter-diagnosis' }] }],
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
    });
    expect(issueAt(await issuesOf(c), 'Condition.category', "slice 'us-core'")).toBeDefined();
    c.category = [PROBLEM];
    expect(describeIssues(await errorsOf(c))).toEqual([]);
  });

  it('checks US Core extensions by their definition: required sub-extension, value type', async () => {
    const p = usCorePatient();
    p.extension = [
      { url: `${US_CORE}us-core-race`, extension: [{ url: 'ombCategory', valueCoding: { system: 'urn:oid:2.16.840.1.113883.6.238', code: '2106-3' } }] },
      { url: `${US_CORE}us-core-birthsex`, valueString: 'F' },
    ];
    const issues = await issuesOf(p);
    expect(issueAt(issues, 'Patient.extension[0].extension', "slice 'text'): minimum required = 1")).toBeDefined();
    expect(issueAt(issues, 'Patient.extension[1].value.ofType(string)', 'Type string is not allowed')).toBeDefined();
  });

  it('rejects an extension used outside its context (US Core race on an Encounter)', async () => {
    const issues = await issuesOf({
      resourceType: 'Encounter',
      status: 'finished',
      class: { code: 'AMB' },
      extension: [{ url: `${US_CORE}us-core-race`, extension: [{ url: 'text', valueString: 'x' }] }],
    });
    expect(issueAt(issues, 'Encounter.extension[0]', 'is not allowed on Encounter')).toBeDefined();
  });

  it('reports unknown extensions as not checked, unknown declared profiles as a warning', async () => {
    const p = usCorePatient();
    p.extension = [{ url: 'http://example.org/ext/favourite-colour', valueString: 'blue' }];
    (p.meta as { profile: string[] }).profile.push('http://example.org/StructureDefinition/nope');
    const issues = await issuesOf(p);
    expect(issueAt(issues, 'Patient.extension[0]', 'Unknown extension')).toMatchObject({ severity: 'information' });
    expect(issueAt(issues, 'Patient', 'http://example.org/StructureDefinition/nope')).toMatchObject({ severity: 'warning' });
  });

  it('rejects an unknown modifier extension: a system must not ignore a modifier it does not understand', async () => {
    const p = usCorePatient();
    p.modifierExtension = [{ url: 'http://example.org/ext/not-really-the-patient', valueBoolean: true }];
    p.contact = [{ name: { family: 'Shaw' }, modifierExtension: [{ url: 'relative-url', valueBoolean: true }] }];
    const result = await checkResource(bundled, p);
    expect(issueAt(result.issues, 'Patient.modifierExtension[0]', 'Unknown modifier extension')).toMatchObject({ severity: 'error' });
    expect(issueAt(result.issues, 'Patient.contact[0].modifierExtension[0]', 'Unknown modifier extension')).toMatchObject({ severity: 'error' });
    expect(result).toMatchObject({ failed: true, structural: false });
  });

  const doNotPerform = { url: 'http://hl7.org/fhir/StructureDefinition/request-doNotPerform', valueBoolean: true };
  const nutritionOrder = (extra: Record<string, unknown>) => ({
    resourceType: 'NutritionOrder',
    text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">No oral diet</div>' },
    status: 'active',
    intent: 'order',
    patient: { reference: 'Patient/p1' },
    dateTime: '2020-01-01',
    oralDiet: { type: [{ text: 'Regular' }] },
    ...extra,
  });

  it('accepts a known modifier extension where its definition allows it (request-doNotPerform on NutritionOrder)', async () => {
    expect(describeIssues(await errorsOf(nutritionOrder({ modifierExtension: [doNotPerform] })))).toEqual([]);
  });

  it('rejects a known modifier extension outside its context (request-doNotPerform on Patient)', async () => {
    const p = usCorePatient();
    p.modifierExtension = [doNotPerform];
    expect(issueAt(await issuesOf(p), 'Patient.modifierExtension[0]', 'is not allowed on Patient')).toMatchObject({ severity: 'error' });
  });

  it('rejects a modifier extension given as a plain extension, and a plain extension given as a modifier', async () => {
    const asPlain = await issuesOf(nutritionOrder({ extension: [doNotPerform] }));
    expect(issueAt(asPlain, 'NutritionOrder.extension[0]', 'must be a modifierExtension')).toMatchObject({ severity: 'error' });
    const p = usCorePatient();
    p.modifierExtension = [{ url: 'http://hl7.org/fhir/StructureDefinition/patient-birthPlace', valueAddress: { city: 'Paris' } }];
    expect(issueAt(await issuesOf(p), 'Patient.modifierExtension[0]', 'is not a modifier')).toMatchObject({ severity: 'error' });
  });

  it('makes a profile the caller requires an error when unknown, and applies it when known', async () => {
    const issues = await issuesOf(condition(), { profiles: ['http://example.org/StructureDefinition/nope', PROFILE] }, withFolder);
    expect(issueAt(issues, 'Condition', 'is not known')).toMatchObject({ severity: 'error' });
    expect(issueAt(issues, 'Condition.clinicalStatus', 'minimum required = 1')).toBeDefined();
  });

  it('rejects a declared profile of another resource type', async () => {
    const issues = await issuesOf(condition({ meta: { profile: [`${US_CORE}us-core-patient`] } }));
    expect(issueAt(issues, 'Condition', 'is for Patient, not Condition')).toMatchObject({ severity: 'error' });
  });

  it('reports a user profile it cannot follow as a failed validation, not a server error', async () => {
    const issues = await issuesOf(condition({ meta: { profile: [BROKEN] } }), {}, withFolder);
    expect(issueAt(issues, 'Condition', `Could not validate against ${BROKEN}`)).toMatchObject({ severity: 'error', code: 'exception' });
  });

  it('reports every problem at once', async () => {
    const p = usCorePatient();
    delete p.name;
    delete p.identifier;
    p.contact = [{ gender: 'male' }];
    const errors = await errorsOf(p);
    expect(errors.map((e) => e.expression?.[0])).toEqual(expect.arrayContaining(['Patient.name', 'Patient.identifier', 'Patient.contact[0]']));
  });
});
