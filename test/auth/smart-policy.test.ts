import { SmartAccessPolicy } from '../../src/auth/smart-policy';

describe('access policy of a SMART token', () => {
  it('lets patient/*.read read and search every type, but not write', () => {
    const p = new SmartAccessPolicy({ scope: 'patient/*.read', patient: '123' });
    expect(p.allows('Observation', 'read')).toBe(true);
    expect(p.allows('Observation', 'search')).toBe(true);
    expect(p.allows('Observation', 'create')).toBe(false);
    expect(p.allows('Observation', 'update')).toBe(false);
    expect(p.allows('Observation', 'delete')).toBe(false);
    expect(p.unrestricted).toBe(false);
  });

  it('binds patient/ scopes to the compartment of the patient claim', () => {
    expect(new SmartAccessPolicy({ scope: 'patient/*.rs', patient: '123' }).patientIds).toEqual(['123']);
    expect(new SmartAccessPolicy({ scope: 'patient/*.rs', patient: 'Patient/123' }).patientIds).toEqual(['123']);
  });

  it('grants nothing through patient/ scopes when the token has no patient claim', () => {
    const p = new SmartAccessPolicy({ scope: 'patient/*.rs' });
    expect(p.allows('Observation', 'read')).toBe(false);
    expect(p.patientIds).toBeUndefined();
  });

  it('ignores a patient claim that is not a FHIR id', () => {
    const p = new SmartAccessPolicy({ scope: 'patient/*.rs', patient: 'a b' });
    expect(p.allows('Observation', 'read')).toBe(false);
  });

  it.each(['..', '...', 'Patient/...', 'https://ehr/fhir/Patient/...'])('binds nothing and grants nothing for a patient claim of dots only (%s)', (patient) => {
    const p = new SmartAccessPolicy({ scope: 'patient/*.rs', patient });
    expect(p.patientIds).toBeUndefined();
    expect(p.allows('Observation', 'read')).toBe(false);
    expect(p.grants).toEqual([]);
  });

  it('does not bind system/ scopes', () => {
    const p = new SmartAccessPolicy({ scope: 'system/*.rs', client_id: 'analytics' });
    expect(p.patientIds).toBeUndefined();
    expect(p.allows('Patient', 'search')).toBe(true);
    expect(p.clientId).toBe('analytics');
  });

  it('acts for the fhirUser with user/ scopes, bound to the compartment when the user is a Patient', () => {
    const practitioner = new SmartAccessPolicy({ scope: 'user/*.cruds', fhirUser: 'https://ehr/fhir/Practitioner/9' });
    expect(practitioner.user).toBe('https://ehr/fhir/Practitioner/9');
    expect(practitioner.patientIds).toBeUndefined();
    const portal = new SmartAccessPolicy({ scope: 'user/*.rs', fhirUser: 'https://ehr/fhir/Patient/77' });
    expect(portal.patientIds).toEqual(['77']);
  });

  it('needs a write permission for each write interaction', () => {
    const p = new SmartAccessPolicy({ scope: 'user/Condition.write user/Observation.c', fhirUser: 'Practitioner/1' });
    expect(p.allows('Condition', 'create')).toBe(true);
    expect(p.allows('Condition', 'update')).toBe(true);
    expect(p.allows('Condition', 'delete')).toBe(true);
    expect(p.allows('Condition', 'read')).toBe(false);
    expect(p.allows('Observation', 'create')).toBe(true);
    expect(p.allows('Observation', 'update')).toBe(false);
    expect(p.allows('Patient', 'create')).toBe(false);
  });

  it('reports granular restrictions per type, OR-ed, and none when an unrestricted scope also covers the type', () => {
    const p = new SmartAccessPolicy({
      scope: 'patient/Condition.rs?category=problem-list-item patient/Condition.rs?category=health-concern patient/Observation.rs',
      patient: '1',
    });
    expect(p.searchRestrictions('Condition', 'search')).toEqual(['category=problem-list-item', 'category=health-concern']);
    expect(p.searchRestrictions('Observation', 'search')).toBeUndefined();
    const q = new SmartAccessPolicy({ scope: 'patient/Condition.rs?category=x patient/*.rs', patient: '1' });
    expect(q.searchRestrictions('Condition', 'read')).toBeUndefined();
  });

  it('ignores malformed scopes rather than widening anything', () => {
    const p = new SmartAccessPolicy({ scope: 'patient/Condition.xyz system/Bogus.rs', patient: '1' });
    expect(p.grants).toHaveLength(0);
    expect(p.allows('Condition', 'read')).toBe(false);
  });

  it('reads scopes from an scp array and carries the token id for audit', () => {
    const p = new SmartAccessPolicy({ scp: ['system/Patient.rs', 42], jti: 'tok-1', azp: 'app' });
    expect(p.allows('Patient', 'read')).toBe(true);
    expect(p.tokenId).toBe('tok-1');
    expect(p.clientId).toBe('app');
  });

  it('binds a token mixing patient/ and system/ scopes everywhere (narrower, never wider)', () => {
    const p = new SmartAccessPolicy({ scope: 'patient/Observation.rs system/Observation.rs', patient: '5' });
    expect(p.patientIds).toEqual(['5']);
  });
});
