import type { Patient } from 'fhir/r4';
import { Matcher, parseMatchConfig, shippedMatchConfig } from '../../src/matching';
import shipped from '../../src/matching/match-config.json';
import { SSN, ferry } from './fixtures';

const matcher = new Matcher(shippedMatchConfig());

const patient = ferry;

const compare = (a: Patient, b: Patient) => matcher.compare(matcher.features(a), matcher.features(b));

describe('the matcher', () => {
  it('grades the same record certain, every field agreeing', () => {
    const c = compare(patient(), patient());
    expect(c.grade).toBe('certain');
    expect(c.differs).toEqual([]);
    expect(c.agrees).toEqual(['family', 'given', 'middle', 'birthDate', 'gender', 'address', 'phone']);
  });

  it('reads a nickname, swapped day and month, a typo and a retyped address as agreement', () => {
    const c = compare(
      patient(),
      patient({ name: [{ family: 'Fery', given: ['Bill'] }], birthDate: '1970-12-04', address: [{ line: ['12 main st.'], postalCode: '02139-1234' }] }),
    );
    expect(c.fields).toMatchObject({
      family: { outcome: 'similar' },
      given: { outcome: 'nickname' },
      birthDate: { outcome: 'transposed' },
      address: { outcome: 'exact' },
    });
    expect(c.grade).toBe('probable');
  });

  it('lets missing fields neither help nor hurt', () => {
    const sparse = patient({ address: undefined, telecom: undefined, gender: undefined });
    const c = compare(patient(), sparse);
    expect(Object.keys(c.fields)).toEqual(['family', 'given', 'middle', 'birthDate']);
    expect(c.bits).toBe(5 + 5 + 3 + 7);
  });

  it('takes a shared lifelong identifier as strong evidence and a different one as strong evidence against', () => {
    const ssn = (value: string) => ({ identifier: [{ system: SSN, value }] });
    expect(compare(patient(ssn('999-12-3456')), patient(ssn('999-12-3456'))).fields.identifier).toEqual({ outcome: 'exact', bits: 12 });
    const namesakes = compare(
      patient(ssn('999-12-3456')),
      patient({ ...ssn('999-65-4321'), address: [{ line: ['9 Elm Road'], postalCode: '01001' }], telecom: undefined }),
    );
    expect(namesakes.fields.identifier).toEqual({ outcome: 'differ', bits: -12 });
    expect(namesakes.grade).toBe('certainly-not');
  });

  it('tells twins apart: same family, birth date and home, other given name', () => {
    expect(compare(patient(), patient({ name: [{ family: 'Ferry', given: ['Walter'] }] })).grade).not.toMatch(/certain$|probable/);
  });

  it('does not take a junior at the same address for a typo in the birth year', () => {
    const c = compare(patient(), patient({ birthDate: '1995-04-12', name: [{ family: 'Ferry', given: ['William'] }] }));
    expect(c.fields.birthDate?.outcome).toBe('differ');
    expect(c.grade).toBe('certainly-not');
  });

  it('writes blocking keys that survive a typo, a nickname and swapped day and month', () => {
    const original = matcher.keys(patient());
    const variant = matcher.keys(patient({ name: [{ family: 'Ferri', given: ['Bill'] }], birthDate: '1970-12-04' }));
    expect(original).toContain('family-birthdate:FR|1970-04-12');
    expect(variant.filter((k) => original.includes(k))).toEqual(expect.arrayContaining(['family-birthdate:FR|1970-04-12', 'given-birthdate:ALM|1970-04-12']));
    expect(original).toContain('phone:5551234567');
  });
});

describe('the match configuration', () => {
  it('names the path of a mistake', () => {
    const bad = (change: (c: Record<string, any>) => void) => {
      const c = structuredClone(shipped) as Record<string, any>;
      change(c);
      return () => parseMatchConfig(c);
    };
    expect(bad((c) => (c.fields.given.fuzzy = 1))).toThrow('fields.given.fuzzy is not an outcome of given');
    expect(bad((c) => delete c.fields.family.differ)).toThrow('fields.family.differ must be a number');
    expect(bad((c) => (c.blocking.keys[0].parts = ['shoe-size']))).toThrow('blocking.keys[0].parts[0] must be one of');
    expect(bad((c) => (c.grades.probable = 0.9999))).toThrow('grades.certain must be a number between 0.9999 and 1');
  });

  it('changes its keys fingerprint with the blocking keys, not with the weights', () => {
    const base = shippedMatchConfig().keysFingerprint;
    const weights = structuredClone(shipped);
    weights.fields.family.exact = 6;
    expect(parseMatchConfig(weights).keysFingerprint).toBe(base);
    const keys = structuredClone(shipped);
    keys.blocking.keys.pop();
    expect(parseMatchConfig(keys).keysFingerprint).not.toBe(base);
  });
});
