import type { TestServer } from '../helpers/server';
import { DISCHARGE_SUMMARY, daysAgo, deficiencies, document, encounter, inZone, patient, practitioner } from './charts';
import { as, startPolicyServer } from './policies';

const part = (p: any, name: string) => p.part.find((x: any) => x.name === name);
const value = (p: any, name: string) => {
  const x = part(p, name);
  return x && (x.valueInteger ?? x.valueString ?? x.valueBoolean);
};
const counts = (p: any) => ({ open: value(p, 'open'), deficient: value(p, 'deficient'), delinquent: value(p, 'delinquent') });

describe('$completeness-summary: open deficiencies by rule, by clinician and by age', () => {
  let server: TestServer;
  const admin = as('admin');
  const store = async (r: any) => expect((await server.json('PUT', `${r.resourceType}/${r.id}`, r, admin)).status).toBeLessThan(300);
  /** An emergency visit ended `days` ago with its deficiency Tasks recorded as an audit would. */
  const stay = async (id: string, p: string, days: number, performer?: string) => {
    await store(encounter(id, { patient: p, cls: 'EMER', end: inZone(daysAgo(days), 'Z'), ...(performer ? { performer } : {}) }));
    for (const task of Object.values(await deficiencies(server, id, admin))) await store(task);
  };

  beforeAll(async () => {
    server = await startPolicyServer();
    for (const r of [patient('p1'), patient('p2'), practitioner('doc'), practitioner('attending')]) await store(r);
    await stay('s3', 'p1', 3, 'doc');
    await stay('s10', 'p1', 10, 'doc');
    await stay('s20', 'p1', 20, 'attending');
    await stay('s40', 'p2', 40);
    // A fixed deficiency is not counted: the summary of s3 arrives (its Task completed by the write hook).
    await store(document('s3-summary', { patient: 'p1', encounter: 's3', loinc: DISCHARGE_SUMMARY }));
  });
  afterAll(() => server.close());

  it('counts each open Task by rule, owner and age band, delinquent when past its deadline now', async () => {
    const res = await server.json('GET', '$completeness-summary', undefined, admin);
    expect(res.status).toBe(200);
    const params = res.body.parameter;
    const top = Object.fromEntries(params.filter((p: any) => p.valueInteger !== undefined).map((p: any) => [p.name, p.valueInteger]));
    // discharge-summary: s10, s20, s40 (s3 fixed); encounter-diagnosis: all four (deadline 7 days: s3 deficient, others delinquent).
    expect(top).toEqual({ open: 7, deficient: 2, delinquent: 5 });
    const rules = Object.fromEntries(params.filter((p: any) => p.name === 'rule').map((p: any) => [part(p, 'code').valueCoding.code, counts(p)]));
    expect(rules).toEqual({
      'discharge-summary': { open: 3, deficient: 1, delinquent: 2 },
      'encounter-diagnosis': { open: 4, deficient: 1, delinquent: 3 },
    });
    const owners = Object.fromEntries(
      params.filter((p: any) => p.name === 'owner').map((p: any) => [part(p, 'owner')?.valueReference.reference ?? 'unassigned', counts(p)]),
    );
    expect(owners).toEqual({
      'Practitioner/doc': { open: 3, deficient: 2, delinquent: 1 },
      'Practitioner/attending': { open: 2, deficient: 0, delinquent: 2 },
      unassigned: { open: 2, deficient: 0, delinquent: 2 },
    });
    const ages = Object.fromEntries(params.filter((p: any) => p.name === 'age').map((p: any) => [value(p, 'days'), value(p, 'open')]));
    expect(ages).toEqual({ '0-7': 1, '8-14': 2, '15-30': 2, 'over-30': 2 });
  });

  it("gives a patient-bound token its own patient's counts only", async () => {
    const res = await server.json('GET', '$completeness-summary', undefined, as('patient-p1'));
    expect(res.status).toBe(200);
    expect(res.body.parameter.find((p: any) => p.name === 'open').valueInteger).toBe(5);
  });
});
