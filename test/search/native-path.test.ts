import fs from 'node:fs';
import path from 'node:path';
import { compileNative, compileWithFhirpath, splitUnion } from '../../src/search/expression';
import { compileMemberPaths } from '../../src/search/member-path';
import { SearchRegistry, evaluatorFor } from '../../src/search/registry';

const registry = new SearchRegistry();
const EXAMPLES = path.dirname(require.resolve('hl7.fhir.r4.examples/package.json'));

/** Native nodes, which must be exactly fhirpath.js's (type, value, path, order) whenever it answers. */
function compare(expression: string, base: string | undefined, input: unknown): 'native' | 'fhirpath' | 'unsupported' {
  const fn = compileNative(expression, base);
  if (!fn) return 'unsupported';
  const ours = fn(input);
  if (ours === undefined) return 'fhirpath';
  expect({ expression, base, nodes: ours }).toEqual({ expression, base, nodes: compileWithFhirpath(expression, base)(input) });
  return 'native';
}

describe('native paths evaluate exactly as fhirpath.js does', () => {
  it('on every official R4 example, for every parameter and composite component it supports', () => {
    const counts = { native: 0, fhirpath: 0, unsupported: 0 };
    for (const f of fs.readdirSync(EXAMPLES).filter((name) => /^[A-Z][A-Za-z]+-.*\.json$/.test(name))) {
      const resource = JSON.parse(fs.readFileSync(path.join(EXAMPLES, f), 'utf8')) as { resourceType?: string };
      if (typeof resource.resourceType !== 'string') continue;
      for (const param of registry.params(resource.resourceType)) {
        if (!param.expression) continue;
        if (!compileMemberPaths(splitUnion(param.expression))) counts[compare(param.expression, undefined, resource)]++;
        if (param.type !== 'composite') continue;
        for (const node of evaluatorFor(param)!(resource)) {
          const base = node.path?.includes('.') ? node.path : undefined;
          for (const c of param.components!) counts[compare(c.expression, base, node.value)]++;
        }
      }
    }
    expect(counts.native).toBeGreaterThan(10000);
  });

  const obs = (extra: Record<string, unknown>) => ({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, ...extra });
  const quantity = '(Observation.value as Quantity) | (Observation.component.value as Quantity)';

  it('leaves to fhirpath.js what it does not mirror', () => {
    const cases: Array<[string, unknown]> = [
      // A union of two equal quantities is one value to fhirpath.js (1 g = 1000 mg).
      [
        quantity,
        obs({
          valueQuantity: { value: 1, system: 'http://unitsofmeasure.org', code: 'g' },
          component: [{ code: { text: 'y' }, valueQuantity: { value: 1000, system: 'http://unitsofmeasure.org', code: 'mg' } }],
        }),
      ],
      ['Observation.value as string', obs({ valueString: 'a', _valueString: { id: 'x' } })],
      ['Observation.value as integer', obs({ valueInteger: 3 })],
      ['Observation.subject.where(resolve() is Patient)', { resourceType: 'Observation', subject: [null] }],
      ['(Observation.value as CodeableConcept).text', { notAResource: true }],
    ];
    for (const [expression, input] of cases) expect(compare(expression, undefined, input)).toBe('fhirpath');
  });

  it('agrees on types, reference targets and the forms it answers', () => {
    const cases: Array<[string, string | undefined, unknown]> = [
      [quantity, undefined, obs({ valueQuantity: { value: 1, unit: 'g' } })],
      [quantity, undefined, obs({ component: [{ code: { text: 'y' }, valueQuantity: { value: 1 } }] })],
      ['Condition.abatement.as(Age) | Condition.abatement.as(Range)', undefined, { resourceType: 'Condition', abatementAge: { value: 3 } }],
      ['Observation.value as Quantity', undefined, obs({ valueString: 'a' })],
      ['value.ofType(DateTime) | value.ofType(Period)', 'Observation.component', { valueDateTime: '2020-01-01' }],
      ['value.ofType(DateTime) | value.ofType(Period)', undefined, obs({ valueDateTime: '2020-01-01' })],
      ['code', undefined, obs({})],
      ['Observation.subject.where(resolve() is Patient)', undefined, obs({ subject: { reference: 'Group/1', type: 'Patient' } })],
      ['Observation.subject.where(resolve() is Patient)', undefined, obs({ subject: { reference: 'https://x.org/fhir/Patient/1/_history/2' } })],
      ['Observation.subject.where(resolve() is Patient)', undefined, obs({ subject: { reference: 'urn:uuid:1' } })],
      ['Observation.focus.where(resolve() is Patient)', undefined, obs({ focus: [{ reference: 'Patient/1' }, { reference: 'Group/2' }] })],
      ['Bundle.entry.resource.ofType(Patient)', undefined, { resourceType: 'Bundle', entry: [{ resource: { resourceType: 'Patient', id: 'a' } }] }],
    ];
    for (const [expression, base, input] of cases) expect(compare(expression, base, input)).toBe('native');
  });

  it('does not take expressions with other functions or operators', () => {
    expect(compileNative("Patient.telecom.where(system='email')")).toBeUndefined();
    expect(compileNative('Patient.deceased.exists() and Patient.deceased != false')).toBeUndefined();
    expect(compileNative('%resource.referenceSeq.chromosome')).toBeUndefined();
    expect(compileNative('Bundle.entry[0].resource')).toBeUndefined();
  });
});
