import { assertValid, Conformance, validateResource } from '../../src/validation';
import { bundled, rejectionOf, US_CORE, usCorePatient } from './support';

describe('validateResource (what create, update, patch and transaction call)', () => {
  it('returns the warnings of a valid resource', async () => {
    const issues = await validateResource(bundled, { resourceType: 'Patient', name: [{ family: 'Shaw' }] });
    expect(issues).toContainEqual(expect.objectContaining({ severity: 'warning', diagnostics: expect.stringContaining('dom-6') }));
  });

  it('answers 400 with every structural issue when the JSON is not valid FHIR', async () => {
    const err = await rejectionOf(validateResource(bundled, { resourceType: 'Patient', birthDate: '1985-02-30', foo: 1 }));
    expect(err.category).toBe('invalid');
    expect(err.issues.map((i) => i.expression?.[0])).toEqual(expect.arrayContaining(['Patient.birthDate', 'Patient.foo']));
  });

  it('answers 422 for profile, terminology, invariant and reference errors', async () => {
    const p = usCorePatient();
    delete p.name;
    const err = await rejectionOf(assertValid(bundled, p));
    expect(err.category).toBe('unprocessable');
    expect(err.outcome.issue).toContainEqual(expect.objectContaining({ expression: ['Patient.name'] }));
  });

  it('answers a missing required primitive and a missing required complex element alike: 400, one wording', async () => {
    for (const [resource, element] of [
      [{ resourceType: 'Observation', code: { text: 'x' } }, 'Observation.status'],
      [{ resourceType: 'Observation', status: 'final' }, 'Observation.code'],
    ] as const) {
      const err = await rejectionOf(validateResource(bundled, resource));
      expect(err.category).toBe('invalid');
      expect(err.issues.filter((i) => i.severity === 'error')).toEqual([
        expect.objectContaining({ code: 'required', expression: [element], diagnostics: expect.stringContaining(`${element}: minimum required = 1, but only found 0`) }),
      ]);
    }
  });

  it('has nothing to validate for a deletion', async () => {
    await expect(validateResource(bundled, undefined, { mode: 'delete' })).resolves.toEqual([]);
  });

  it('applies profiles the server enforces for a type, whatever meta.profile says', async () => {
    const enforcing = new Conformance({ enforcedProfiles: { Patient: [`${US_CORE}us-core-patient|6.1.0`] } });
    const err = await rejectionOf(validateResource(enforcing, { resourceType: 'Patient', gender: 'male', name: [{ family: 'X' }] }));
    expect(err.category).toBe('unprocessable');
    expect(err.issues).toContainEqual(expect.objectContaining({ expression: ['Patient.identifier'] }));
    await expect(validateResource(bundled, { resourceType: 'Patient', gender: 'male' })).resolves.toBeDefined();
  });

  it('lists the bundled US Core profiles for the CapabilityStatement', () => {
    expect(bundled.supportedProfiles('Condition')).toEqual([`${US_CORE}us-core-condition-encounter-diagnosis`, `${US_CORE}us-core-condition-problems-health-concerns`]);
    expect(bundled.supportedProfiles('Encounter')).toEqual([`${US_CORE}us-core-encounter`]);
    expect(bundled.supportedProfiles('Observation')).toEqual([]);
  });

  it('compiles the schemas of the given types ahead of the first write, which is then served from that cache', async () => {
    let validation: typeof import('../../src/validation') | undefined;
    let structure: typeof import('../../src/validation/structure') | undefined;
    // A fresh copy of the modules: nothing compiled yet, whatever other tests in this file did.
    jest.isolateModules(() => {
      /* eslint-disable @typescript-eslint/no-require-imports */
      validation = require('../../src/validation');
      structure = require('../../src/validation/structure');
      /* eslint-enable @typescript-eslint/no-require-imports */
    });
    if (!validation || !structure) throw new Error('modules not loaded');
    expect(structure.compiledSchemaTypes()).toEqual([]);
    const conformance = new validation.Conformance();
    const ms = validation.warmUp(conformance, ['Patient', 'NotAType']);
    expect(ms).toBeGreaterThan(0);
    expect(structure.compiledSchemaTypes()).toEqual(['Patient']);
    const result = await validation.checkResource(conformance, { resourceType: 'Patient', birthDate: '1985-02-30' });
    expect(result.structural).toBe(true);
    expect(result.issues).toContainEqual(expect.objectContaining({ severity: 'error', expression: ['Patient.birthDate'] }));
    expect(structure.compiledSchemaTypes()).toEqual(['Patient']);
  });
});
