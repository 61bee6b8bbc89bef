import { assertValid, enforceProfiles, supportedProfiles, validateResource, warmUp } from '../../src/validation';
import { rejectionOf, US_CORE, usCorePatient } from './support';

describe('validateResource (what create, update, patch and transaction call)', () => {
  it('returns the warnings of a valid resource', async () => {
    const issues = await validateResource({ resourceType: 'Patient', name: [{ family: 'Shaw' }] });
    expect(issues).toContainEqual(expect.objectContaining({ severity: 'warning', diagnostics: expect.stringContaining('dom-6') }));
  });

  it('answers 400 with every structural issue when the JSON is not valid FHIR', async () => {
    const err = await rejectionOf(validateResource({ resourceType: 'Patient', birthDate: '1985-02-30', foo: 1 }));
    expect(err.status).toBe(400);
    expect(err.issues.map((i) => i.expression?.[0])).toEqual(expect.arrayContaining(['Patient.birthDate', 'Patient.foo']));
  });

  it('answers 422 for profile, terminology, invariant and reference errors', async () => {
    const p = usCorePatient();
    delete p.name;
    const err = await rejectionOf(assertValid(p));
    expect(err.status).toBe(422);
    expect(err.outcome.issue).toContainEqual(expect.objectContaining({ expression: ['Patient.name'] }));
  });

  it('has nothing to validate for a deletion', async () => {
    await expect(validateResource(undefined, { mode: 'delete' })).resolves.toEqual([]);
  });

  it('applies profiles the server enforces for a type, whatever meta.profile says', async () => {
    enforceProfiles('Patient', [`${US_CORE}us-core-patient|6.1.0`]);
    try {
      const err = await rejectionOf(validateResource({ resourceType: 'Patient', gender: 'male', name: [{ family: 'X' }] }));
      expect(err.status).toBe(422);
      expect(err.issues).toContainEqual(expect.objectContaining({ expression: ['Patient.identifier'] }));
    } finally {
      enforceProfiles('Patient', []);
    }
    await expect(validateResource({ resourceType: 'Patient', gender: 'male' })).resolves.toBeDefined();
  });

  it('lists the bundled US Core profiles for the CapabilityStatement', () => {
    expect(supportedProfiles('Condition')).toEqual([
      `${US_CORE}us-core-condition-encounter-diagnosis`,
      `${US_CORE}us-core-condition-problems-health-concerns`,
    ]);
    expect(supportedProfiles('Encounter')).toEqual([`${US_CORE}us-core-encounter`]);
    expect(supportedProfiles('Observation')).toEqual([]);
  });

  it('can read the definitions ahead of the first write', () => {
    expect(warmUp(['Patient'])).toBeGreaterThanOrEqual(0);
  });
});
