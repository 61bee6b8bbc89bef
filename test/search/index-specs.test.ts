import type { FhirResource } from 'fhir/r4';
import { searchIndexSpecs } from '../../src/search/index-specs';
import { openTestDb, save, search, testSearch, type TestDb } from './helpers/store';

/** Stage names anywhere in a winning plan. */
function stages(plan: unknown, out: string[] = []): string[] {
  if (!plan || typeof plan !== 'object') return out;
  const p = plan as Record<string, unknown>;
  if (typeof p.stage === 'string') out.push(p.indexName ? `${p.stage}:${p.indexName}` : p.stage);
  for (const k of ['inputStage', 'inputStages', 'queryPlan']) {
    const v = p[k];
    if (Array.isArray(v)) v.forEach((x) => stages(x, out));
    else stages(v, out);
  }
  return out;
}

const N = 2000;

describe('every query the compiler emits is served by an index', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb();
    const resources: FhirResource[] = [];
    for (let i = 0; i < N; i++) {
      const pid = `p${i}`;
      resources.push({
        resourceType: 'Patient',
        id: pid,
        name: [{ family: `Fam${i % 97}`, given: [`Giv${i % 13}`] }],
        gender: i % 2 ? 'male' : 'female',
        birthDate: `19${String(30 + (i % 60)).padStart(2, '0')}-0${1 + (i % 9)}-1${i % 10}`,
        identifier: [{ system: 'http://mrn', value: `MRN${i}` }],
      });
      resources.push({
        resourceType: 'Encounter',
        id: `e${i}`,
        status: 'finished',
        class: { code: 'AMB' },
        subject: { reference: `Patient/${pid}` },
        period: { start: `2020-0${1 + (i % 9)}-1${i % 10}T10:00:00Z`, end: `2020-0${1 + (i % 9)}-1${i % 10}T11:00:00Z` },
      });
      resources.push({
        resourceType: 'Observation',
        id: `o${i}`,
        status: 'final',
        subject: { reference: `Patient/${pid}` },
        code: { coding: [{ system: 'http://loinc.org', code: `${1000 + (i % 50)}-1` }] },
        valueQuantity: { value: i % 200, system: 'http://unitsofmeasure.org', code: 'mg' },
        effectiveDateTime: `2021-0${1 + (i % 9)}-1${i % 10}`,
      });
    }
    await save(t.db, ...resources);
  }, 120_000);
  afterAll(() => t.close());

  it('creates well under 64 indexes per collection', () => {
    for (const type of ['Patient', 'Observation', 'Encounter', 'Condition', 'MedicationRequest']) {
      expect(searchIndexSpecs(testSearch, type).length + 2).toBeLessThan(30);
    }
  });

  it.each([
    ['Patient', 'family=fam1'],
    ['Patient', 'family:exact=Fam1'],
    ['Patient', 'name=giv'],
    ['Patient', 'family:contains=am1'],
    ['Patient', 'gender=male&birthdate=1950'],
    ['Patient', 'identifier=http://mrn|MRN5'],
    ['Patient', 'birthdate=lt1940'],
    ['Patient', 'birthdate=gt1985'],
    ['Patient', 'birthdate=ge1980&birthdate=le1981'],
    ['Patient', '_id=p1,p2'],
    ['Patient', '_lastUpdated=gt2020-01-01'],
    ['Patient', '_sort=-birthdate'],
    ['Patient', '_sort=family'],
    ['Patient', 'family=fam1&_sort=given,-birthdate'],
    ['Patient', '_sort=-_lastUpdated'],
    ['Patient', 'family:missing=false'],
    ['Observation', 'code=http://loinc.org|1001-1'],
    ['Observation', 'code=1001-1,1002-1'],
    ['Observation', 'subject=Patient/p7'],
    ['Observation', 'patient=p7&_sort=-date'],
    ['Observation', 'value-quantity=gt150|http://unitsofmeasure.org|mg'],
    ['Observation', 'code-value-quantity=1001-1$gt10'],
    ['Observation', 'date=2021-03'],
    ['Encounter', 'subject=Patient/p7&date=ge2020-01-01'],
    ['Encounter', 'date=2020-05-15'],
    ['Encounter', 'subject:Patient.family=fam3'],
    ['Patient', '_has:Observation:patient:code=1001-1'],
  ])('%s?%s', async (type, q) => {
    t.store.seen.length = 0;
    await search(t.store, type, `${q}&_count=10`, {}, true);
    expect(t.store.seen.length).toBeGreaterThan(0);
    for (const s of t.store.seen) {
      const plan = stages(((await t.store.explain(s.type, s.filter, s.options)).queryPlanner as Record<string, unknown>).winningPlan);
      expect({ query: q, type: s.type, plan }).toEqual({ query: q, type: s.type, plan: expect.not.arrayContaining(['COLLSCAN']) });
      expect(plan.some((p) => p.startsWith('IXSCAN') || p === 'IDHACK' || p.startsWith('EXPRESS'))).toBe(true);
    }
  });

  it('the second page (keyset condition) is served by an index too', async () => {
    const first = await search(t.store, 'Patient', '_sort=-birthdate&_count=10');
    const next = new URL(first.link!.find((l) => l.relation === 'next')!.url).search.slice(1);
    t.store.seen.length = 0;
    await search(t.store, 'Patient', next);
    const s = t.store.seen[0];
    const plan = stages(((await t.store.explain(s.type, s.filter, s.options)).queryPlanner as Record<string, unknown>).winningPlan);
    expect(plan).not.toContain('COLLSCAN');
    expect(plan).not.toContain('SORT');
  });
});
