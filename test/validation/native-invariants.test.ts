import fs from 'node:fs';
import path from 'node:path';
import type { ElementDefinitionConstraint } from 'fhir/r4';
import { newContext } from '../../src/validation/context';
import { compileConstraint } from '../../src/validation/invariants';
import { NATIVE } from '../../src/validation/native-invariants';
import { bundled } from './support';

/**
 * Every native answer must be the one fhirpath gives for the same constraint (an `undefined` answer hands the
 * case to fhirpath, so it is always right).
 */

const DOM3 = Object.keys(NATIVE).find((k) => k.startsWith('contained.where('))!;
const PER1 = 'start.hasValue().not() or end.hasValue().not() or (start <= end)';
const DOM = [
  'contained.contained.empty()',
  'contained.meta.versionId.empty() and contained.meta.lastUpdated.empty()',
  'contained.meta.security.empty()',
  'text.`div`.exists()',
];

function viaFhirpath(expression: string, base: string, value: unknown, resource: Record<string, unknown>): boolean | 'error' {
  const fn = compileConstraint({ key: 'x', expression } as ElementDefinitionConstraint, base);
  if (fn instanceof Error) return 'error';
  try {
    const result = fn(value, { resource, rootResource: resource });
    return result.length === 0 || result.every((r) => r === true);
  } catch {
    return 'error';
  }
}

/** The native answer, checked against fhirpath when it gives one. */
function answer(expression: string, base: string, value: Record<string, unknown>, resource = value): boolean | undefined {
  const native = NATIVE[expression](
    value,
    newContext(bundled, resource, {}, () => undefined),
  );
  if (native !== undefined) expect({ expression, value, native }).toEqual({ expression, value, native: viaFhirpath(expression, base, value, resource) });
  return native;
}

const eob = (extra: Record<string, unknown>) => ({
  resourceType: 'ExplanationOfBenefit',
  contained: [{ resourceType: 'Coverage', id: 'cov', status: 'active' }],
  ...extra,
});

describe('native invariants agree with fhirpath', () => {
  it('dom-3: proves the usual case, a contained resource named by a reference', () => {
    expect(answer(DOM3, 'ExplanationOfBenefit', eob({ insurance: [{ focal: true, coverage: { reference: '#cov' } }] }))).toBe(true);
    expect(answer(DOM3, 'ExplanationOfBenefit', eob({ extension: [{ url: 'u', valueReference: { reference: '#cov' } }] }))).toBe(true);
    expect(answer(DOM3, 'Patient', { resourceType: 'Patient' })).toBe(true);
  });

  it('dom-3: leaves to fhirpath what it cannot prove', () => {
    const cases: Array<Record<string, unknown>> = [
      eob({}),
      eob({ insurance: [{ coverage: { reference: '#other' } }] }),
      // Only under a `_x` companion, or under a choice element's bare name (which fhirpath does not read).
      eob({ _status: { extension: [{ url: 'u', valueReference: { reference: '#cov' } }] } }),
      eob({ extension: [{ url: 'u', value: { reference: '#cov' } }] }),
      eob({ insurance: [[{ coverage: { reference: '#cov' } }]] }),
      eob({ contained: [{ resourceType: 'Coverage', status: 'active' }], insurance: [{ coverage: { reference: '#' } }] }),
      eob({ contained: { resourceType: 'Coverage', id: 'cov' }, insurance: [{ coverage: { reference: '#cov' } }] }),
      { resourceType: 'CarePlan', contained: [{ resourceType: 'PlanDefinition', id: 'pd' }], instantiatesCanonical: ['#pd'] },
    ];
    for (const r of cases) answer(DOM3, r.resourceType as string, r);
    expect(answer(DOM3, 'ExplanationOfBenefit', cases[0])).toBeUndefined();
    expect(answer(DOM3, 'ExplanationOfBenefit', cases[3])).toBeUndefined();
  });

  it('dom-3 and dom-2/4/5/6 on every official R4 example', () => {
    const dir = path.dirname(require.resolve('hl7.fhir.r4.examples/package.json'));
    let proven = 0;
    for (const f of fs.readdirSync(dir).filter((name) => /^[A-Z].*\.json$/.test(name))) {
      const r = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Record<string, unknown>;
      if (typeof r.resourceType !== 'string' || !r.contained) continue;
      if (answer(DOM3, r.resourceType, r) === true) proven++;
      for (const e of DOM) answer(e, r.resourceType, r);
    }
    expect(proven).toBeGreaterThan(50);
  });

  it('dom-2, dom-4, dom-5 and dom-6', () => {
    const div = { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">x</div>' };
    const resources = [
      { resourceType: 'Basic' },
      { resourceType: 'Basic', text: div },
      { resourceType: 'Basic', text: { status: 'empty' } },
      { resourceType: 'Basic', contained: [{ resourceType: 'Basic', id: 'a', meta: { versionId: '1' } }] },
      { resourceType: 'Basic', contained: null },
    ];
    for (const r of resources) for (const e of DOM) answer(e, 'Basic', r);
    expect(answer(DOM[0], 'Basic', resources[0])).toBe(true);
    expect(answer(DOM[3], 'Basic', resources[1])).toBe(true);
  });

  it('dom-2, dom-4, dom-5 with contained resources: proven when every one lacks what the rule looks for', () => {
    const withContained = (...contained: unknown[]) => ({ resourceType: 'ExplanationOfBenefit', contained });
    const clean = withContained({ resourceType: 'ServiceRequest', id: 'a', status: 'active' }, { resourceType: 'Coverage', id: 'b', meta: { profile: ['p'] } });
    for (const e of DOM.slice(0, 3)) expect(answer(e, 'ExplanationOfBenefit', clean)).toBe(true);
    const cases = [
      withContained({ resourceType: 'Basic', id: 'a', contained: [{ resourceType: 'Basic', id: 'b' }] }),
      withContained({ resourceType: 'Basic', id: 'a', _contained: [{ id: 'x' }] }),
      withContained({ resourceType: 'Basic', id: 'a', meta: { versionId: '1' } }),
      withContained({ resourceType: 'Basic', id: 'a', meta: { lastUpdated: '2020-01-01T00:00:00Z' } }),
      withContained({ resourceType: 'Basic', id: 'a', meta: { _versionId: { id: 'v' } } }),
      withContained({ resourceType: 'Basic', id: 'a', meta: { security: [{ code: 'R' }] } }),
      withContained({ resourceType: 'Basic', id: 'a', meta: 'not an object' }),
      withContained({ resourceType: 'Basic', id: 'a', _meta: { id: 'm' } }),
      withContained({ id: 'no type' }),
      withContained('not a resource'),
      { resourceType: 'ExplanationOfBenefit', contained: { resourceType: 'Basic', id: 'a' } },
    ];
    // Each case either agrees with fhirpath (checked by `answer`) or is left to it; those that break a rule are left.
    for (const r of cases) for (const e of DOM.slice(0, 3)) answer(e, 'ExplanationOfBenefit', r);
    expect(answer(DOM[0], 'ExplanationOfBenefit', cases[0])).toBeUndefined();
    expect(answer(DOM[1], 'ExplanationOfBenefit', cases[2])).toBeUndefined();
    expect(answer(DOM[1], 'ExplanationOfBenefit', cases[3])).toBeUndefined();
    expect(answer(DOM[2], 'ExplanationOfBenefit', cases[5])).toBeUndefined();
    expect(answer(DOM[2], 'ExplanationOfBenefit', cases[2])).toBe(true);
  });

  it('per-1 on dates, date-times, zones, odd and missing values', () => {
    const values: unknown[] = [
      undefined,
      null,
      7,
      ['2020'],
      '2020',
      '2021',
      '2020-01',
      '2020-02',
      '2020-01-31',
      '2020-02-01',
      '2020-02-31',
      '2020-03-01',
      '2020-03-02',
      '0999-01-01',
      '2020-01-01T10:00:00Z',
      '2020-01-01T09:00:00Z',
      '2020-01-01T10:00:00+01:00',
      '2020-01-01T10:00:00.500Z',
      '2020-01-01T10:00:00.499Z',
      '2020-01-01T10:00:00.4999Z',
      '2020-01-01T10:00:00.5000Z',
      '2020-01-01T10:00:00',
      '2011-01-20T06:33:08-05:00',
      '2011-01-20T07:03:08-05:00',
      '2011-01-20T07:03:08-04:00',
    ];
    let proven = 0;
    for (const start of values) {
      for (const end of values) {
        const period: Record<string, unknown> = {};
        if (start !== undefined) period.start = start;
        if (end !== undefined) period.end = end;
        if (answer(PER1, 'Period', period, { resourceType: 'Basic' }) !== undefined) proven++;
      }
    }
    expect(proven).toBeGreaterThan(100);
    expect(answer(PER1, 'Period', { start: '2020-02-31', end: '2020-03-01' }, { resourceType: 'Basic' })).toBeUndefined();
    expect(answer(PER1, 'Period', { start: '2021', end: '2020' }, { resourceType: 'Basic' })).toBeUndefined();
  });

  it('the rules settled by their first operand (obs-6, obs-7, qty-3, con-3/4/5, org-1, home address)', () => {
    const rule = (start: string) => Object.keys(NATIVE).find((k) => k.startsWith(start))!;
    const status = (system: string, code: string) => ({ coding: [{ system: `http://terminology.hl7.org/CodeSystem/${system}`, code }] });
    const cases: Array<[string, string, Array<Record<string, unknown>>]> = [
      [rule('dataAbsentReason.empty()'), 'Observation', [{}, { dataAbsentReason: { text: 'x' } }, { dataAbsentReason: { text: 'x' }, valueString: 'a' }]],
      [rule('value.empty() or component'), 'Observation', [{ valueString: 'a' }, { valueString: 'a', component: [{ code: { text: 'y' } }] }]],
      [
        rule('orderDetail.empty()'),
        'ServiceRequest',
        [{}, { code: { text: 'x' } }, { orderDetail: [{ text: 'y' }] }, { orderDetail: [{ text: 'y' }], code: { text: 'x' } }],
      ],
      [
        rule('code.empty()'),
        'Quantity',
        [{ value: 1 }, { value: 1, code: 'mg' }, { code: 'mg', system: 'http://unitsofmeasure.org' }, { code: 'mg', _system: { id: 'a' } }],
      ],
      [rule('clinicalStatus.exists()'), 'Condition', [{}, { clinicalStatus: status('condition-clinical', 'active') }, { category: [{ text: 'x' }] }]],
      [rule('abatement.empty()'), 'Condition', [{}, { abatementString: 'x' }, { abatementAge: { value: 3 }, clinicalStatus: status('condition-clinical', 'active') }]],
      [
        rule("verificationStatus.coding.where(system='http://terminology.hl7.org/CodeSystem/condition-ver-status' and code='entered-in-error').empty()"),
        'Condition',
        [{}, { verificationStatus: status('condition-ver-status', 'entered-in-error'), clinicalStatus: status('condition-clinical', 'active') }],
      ],
      [rule('(identifier.count()'), 'Organization', [{}, { name: 'x' }, { identifier: [{ value: '1' }] }]],
      [rule("where(use = 'home')"), 'Organization.address', [{}, { use: 'home' }, { use: 'work' }, { use: 5 }, { _use: { id: 'a' } }]],
      ['text.`div`.exists()', 'Basic', [{}, { text: { status: 'empty' } }]],
    ];
    let answered = 0;
    for (const [expression, base, values] of cases) {
      for (const v of values) {
        const resource = base.includes('.') || base === 'Quantity' ? { resourceType: 'Basic' } : { resourceType: base, ...v };
        if (answer(expression, base, base.includes('.') || base === 'Quantity' ? v : resource, resource) !== undefined) answered++;
      }
    }
    expect(answered).toBeGreaterThan(10);
  });
});
