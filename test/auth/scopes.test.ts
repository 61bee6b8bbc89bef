import { formatScope, intersectGrants, parseScope, parseScopes } from '../../src/auth/scopes';

const perms = (scope: string) => [...(parseScope(scope)?.permissions ?? [])].sort().join('');

describe('SMART scope parsing', () => {
  it('reads v1 .read as read + search', () => {
    const g = parseScope('patient/*.read');
    expect(g).toMatchObject({ context: 'patient', resourceType: '*', version: 1 });
    expect(perms('patient/*.read')).toBe('rs');
  });

  it('reads v1 .write as create + update + delete, and .* as everything', () => {
    expect(perms('user/Condition.write')).toBe('cdu');
    expect(perms('system/*.*')).toBe('cdrsu');
  });

  it('reads v2 permission letters', () => {
    expect(parseScope('patient/Condition.rs')).toMatchObject({ resourceType: 'Condition', version: 2 });
    expect(perms('patient/Condition.rs')).toBe('rs');
    expect(perms('user/*.cruds')).toBe('cdrsu');
    expect(perms('system/Observation.d')).toBe('d');
  });

  it('reads a granular v2 scope with its search restriction', () => {
    const g = parseScope('patient/Condition.rs?category=problem-list-item');
    expect(g?.query).toBe('category=problem-list-item');
    expect(parseScope('patient/Observation.rs?code=http://loinc.org|1234-5&status=final')?.query).toBe('code=http://loinc.org|1234-5&status=final');
  });

  it.each([
    ['patient/Condition.sr', 'letters out of order'],
    ['patient/Condition.rr', 'letter repeated'],
    ['patient/Condition.x', 'unknown letter'],
    ['patient/Condition.', 'no permissions'],
    ['patient/Bogus.rs', 'unknown resource type'],
    ['patient/condition.rs', 'type in wrong case'],
    ['patient/Condition.read?category=x', 'restriction on a v1 scope'],
    ['patient/*.rs?category=x', 'restriction on a wildcard type'],
    ['patient/Condition.rs?', 'empty restriction'],
    ['patient/Condition.rs?category', 'restriction without a value'],
    ['patient/Condition.rs?_include=Condition:subject', 'result parameter as restriction'],
    ['patient/Condition', 'no permission part'],
    ['system/.rs', 'no type'],
  ])('refuses %s (%s)', (scope) => {
    expect(() => parseScope(scope)).toThrow();
    expect(parseScopes(scope).invalid).toHaveLength(1);
  });

  it('leaves non-resource scopes aside', () => {
    const parsed = parseScopes('openid fhirUser launch/patient offline_access patient/*.rs');
    expect(parsed.other).toEqual(['openid', 'fhirUser', 'launch/patient', 'offline_access']);
    expect(parsed.grants.map((g) => g.raw)).toEqual(['patient/*.rs']);
    expect(parsed.invalid).toEqual([]);
  });

  it('accepts the scope list as an array and ignores extra whitespace', () => {
    expect(parseScopes(['system/*.rs', 'system/Patient.c']).grants).toHaveLength(2);
    expect(parseScopes('  system/*.rs   user/*.read ').grants).toHaveLength(2);
  });
});

describe('scope intersection (what a client may be granted)', () => {
  const g = (s: string) => parseScope(s)!;
  const meet = (a: string, b: string) => {
    const r = intersectGrants(g(a), g(b));
    return r && formatScope(r);
  };

  it('narrows a wildcard request to the allowed type', () => {
    expect(meet('system/*.rs', 'system/Patient.rs')).toBe('system/Patient.rs');
  });

  it('narrows a wildcard allowance to the requested type', () => {
    expect(meet('system/Observation.rs', 'system/*.cruds')).toBe('system/Observation.rs');
  });

  it('keeps only permissions both allow', () => {
    expect(meet('system/*.cruds', 'system/*.rs')).toBe('system/*.rs');
    expect(meet('system/Patient.c', 'system/*.rs')).toBeUndefined();
  });

  it('answers in v1 syntax when asked in v1 syntax', () => {
    expect(meet('system/*.read', 'system/*.cruds')).toBe('system/*.read');
    expect(meet('system/*.*', 'system/*.rs')).toBe('system/*.read');
  });

  it('keeps a restriction from either side and drops two different ones', () => {
    expect(meet('system/Condition.rs', 'system/Condition.rs?category=a')).toBe('system/Condition.rs?category=a');
    expect(meet('system/Condition.rs?category=a', 'system/*.rs')).toBe('system/Condition.rs?category=a');
    expect(meet('system/Condition.rs?category=a', 'system/Condition.rs?category=b')).toBeUndefined();
  });

  it('never crosses contexts or types', () => {
    expect(meet('patient/*.rs', 'system/*.rs')).toBeUndefined();
    expect(meet('system/Patient.rs', 'system/Observation.rs')).toBeUndefined();
  });
});
