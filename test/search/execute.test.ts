import type { FhirResource } from 'fhir/r4';
import { twoPatients } from './helpers/fixtures';
import { BASE, matchIds, search, sortedMatchIds, useTestDb } from './helpers/store';

describe('executeSearch: the searchset bundle', () => {
  const db = useTestDb(twoPatients);

  it('returns a searchset with total, self link and full URLs', async () => {
    const b = await search(db().store, 'Observation', 'code=1234-5');
    expect(b).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 2 });
    expect(b.link).toEqual([{ relation: 'self', url: `${BASE}/Observation?code=1234-5&_count=50` }]);
    expect(b.entry!.map((e) => e.fullUrl).sort()).toEqual([`${BASE}/Observation/obs-a`, `${BASE}/Observation/obs-b`]);
  });
  it('reports ignored parameters in an outcome entry and leaves them out of the self link', async () => {
    const b = await search(db().store, 'Observation', 'code=1234-5&foo=bar');
    expect(sortedMatchIds(b)).toEqual(['obs-a', 'obs-b']);
    const outcome = b.entry!.find((e) => e.search?.mode === 'outcome')!;
    expect(outcome.resource).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'warning', expression: ['foo'] }] });
    expect(b.link![0].url).not.toContain('foo');
  });
  it('Prefer: handling=strict turns an unknown parameter into a 400', async () => {
    await expect(search(db().store, 'Observation', 'code=1234-5&foo=bar', {}, true)).rejects.toMatchObject({ category: 'invalid' });
  });
  it('_summary=count returns only the total', async () => {
    const b = await search(db().store, 'Observation', 'code=1234-5&_summary=count');
    expect(b.total).toBe(2);
    expect(b.entry).toBeUndefined();
  });
  it('_count=0 returns the total without entries', async () => {
    const b = await search(db().store, 'Observation', '_count=0');
    expect(b.total).toBe(3);
    expect(b.entry).toBeUndefined();
  });
  it('_elements keeps the named elements and marks the resource SUBSETTED', async () => {
    const b = await search(db().store, 'Patient', '_id=alice&_elements=name');
    const r = b.entry![0].resource as FhirResource & { name?: unknown; managingOrganization?: unknown };
    expect(r.name).toBeDefined();
    expect(r.managingOrganization).toBeUndefined();
    expect(r.meta!.tag).toEqual([expect.objectContaining({ code: 'SUBSETTED' })]);
  });
  it('compartment search returns only resources in the patient compartment', async () => {
    const b = await search(db().store, 'Observation', '', { compartment: { type: 'Patient', id: 'bob' } });
    expect(sortedMatchIds(b)).toEqual(['obs-b', 'obs-b2']);
    expect(b.link![0].url).toBe(`${BASE}/Patient/bob/Observation?_count=50`);
    const coded = await search(db().store, 'Observation', 'code=1234-5', { compartment: { type: 'Patient', id: 'bob' } });
    expect(sortedMatchIds(coded)).toEqual(['obs-b']);
  });
  it('compartment search of a type outside the compartment is a 400', async () => {
    await expect(search(db().store, 'Organization', '', { compartment: { type: 'Patient', id: 'bob' } })).rejects.toMatchObject({ category: 'invalid' });
  });
  it('system search with _type searches several types and pages across them', async () => {
    const b = await search(db().store, undefined, '_type=Patient,Encounter&_count=3');
    expect(matchIds(b)).toEqual(['enc-a', 'enc-b', 'alice']);
    expect(b.total).toBe(4);
    const next = new URL(b.link!.find((l) => l.relation === 'next')!.url);
    expect(next.pathname).toBe('/fhir/');
    const page2 = await search(db().store, undefined, next.search.slice(1));
    expect(matchIds(page2)).toEqual(['bob']);
  });
  it('system search sorted by _lastUpdated merges the types in order', async () => {
    const b = await search(db().store, undefined, '_type=Patient,Encounter&_sort=-_lastUpdated');
    expect(matchIds(b)).toEqual(['enc-b', 'enc-a', 'bob', 'alice']);
  });
  it('system search without _type covers the configured types', async () => {
    const b = await search(db().store, undefined, '_id=org,doc', { systemTypes: ['Organization', 'Practitioner'] });
    expect(sortedMatchIds(b)).toEqual(['doc', 'org']);
  });
  it('_lastUpdated compares the stored lastUpdated instant', async () => {
    const all = await search(db().store, 'Patient', '_sort=_lastUpdated');
    const alice = all.entry![0].resource!.meta!.lastUpdated!;
    expect(sortedMatchIds(await search(db().store, 'Patient', `_lastUpdated=gt${encodeURIComponent(alice)}`))).toEqual(['bob']);
    expect(sortedMatchIds(await search(db().store, 'Patient', `_lastUpdated=${encodeURIComponent(alice)}`))).toEqual(['alice']);
  });
});
