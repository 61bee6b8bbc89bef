import type { Bundle } from 'fhir/r4';
import { compartmentPolicy, twoPatients } from './helpers/fixtures';
import { search, sortedMatchIds, useTestDb } from './helpers/store';

const included = (b: Bundle) =>
  (b.entry ?? [])
    .filter((e) => e.search?.mode === 'include')
    .map((e) => `${e.resource!.resourceType}/${e.resource!.id}`)
    .sort();

describe('_include and _revinclude (spec 3.1.1.5.4)', () => {
  const db = useTestDb(twoPatients);

  it('includes the referenced resources, marked search.mode=include', async () => {
    const b = await search(db().store, 'Observation', '_id=obs-a&_include=Observation:subject&_include=Observation:encounter');
    expect(sortedMatchIds(b)).toEqual(['obs-a']);
    expect(included(b)).toEqual(['Encounter/enc-a', 'Patient/alice']);
    expect(b.entry!.find((e) => e.resource!.id === 'alice')!.fullUrl).toBe('http://fhir.test/fhir/Patient/alice');
  });
  it('a target type restricts what is included', async () => {
    const b = await search(db().store, 'Observation', '_id=obs-a&_include=Observation:performer:Organization');
    expect(included(b)).toEqual([]);
  });
  it('includes each resource once, even when several matches refer to it', async () => {
    const b = await search(db().store, 'Observation', 'code=1234-5&_include=Observation:performer&_include=Observation:subject');
    expect(included(b)).toEqual(['Patient/alice', 'Patient/bob', 'Practitioner/doc']);
  });
  it('does not repeat a match as an include', async () => {
    const b = await search(db().store, 'Observation', 'subject=Patient/bob&_include=Observation:has-member');
    expect(included(b)).toEqual(['Observation/obs-a']);
    const both = await search(db().store, 'Observation', '_id=obs-a,obs-b2&_include=Observation:has-member');
    expect(included(both)).toEqual([]);
  });
  it('_revinclude adds resources that refer to the matches', async () => {
    const b = await search(db().store, 'Patient', '_id=bob&_revinclude=Observation:subject');
    expect(included(b)).toEqual(['Observation/obs-b', 'Observation/obs-b2']);
  });
  it(':iterate follows references from included resources', async () => {
    const once = await search(db().store, 'Observation', '_id=obs-a&_include=Observation:subject&_include=Patient:organization');
    expect(included(once)).toEqual(['Patient/alice']);
    const iterated = await search(db().store, 'Observation', '_id=obs-a&_include=Observation:subject&_include:iterate=Patient:organization');
    expect(included(iterated)).toEqual(['Organization/org', 'Patient/alice']);
  });
  it('_revinclude=* is reported as unsupported (a warning, or 400 under handling=strict), never silently empty', async () => {
    const b = await search(db().store, 'Patient', '_id=bob&_revinclude=*');
    const warning = (b.entry ?? []).find((e) => e.search?.mode === 'outcome');
    expect(JSON.stringify(warning?.resource)).toContain('_revinclude=*');
    await expect(search(db().store, 'Patient', '_id=bob&_revinclude=*', {}, true)).rejects.toMatchObject({ category: 'invalid' });
  });

  it('_revinclude:iterate goes on from revincluded resources', async () => {
    const b = await search(db().store, 'Patient', '_id=bob&_revinclude=Observation:subject&_revinclude:iterate=Provenance:target');
    expect(included(b)).toEqual(['Observation/obs-b', 'Observation/obs-b2', 'Provenance/prov-b']);
  });
  it('_include=* follows every reference parameter', async () => {
    const b = await search(db().store, 'Observation', '_id=obs-a&_include=*');
    expect(included(b)).toEqual(['Encounter/enc-a', 'Patient/alice', 'Practitioner/doc']);
  });
  it('includes obey the access policy: nothing of another patient is included', async () => {
    db().store.policy = compartmentPolicy('bob');
    const b = await search(db().store, 'Observation', 'subject=Patient/bob&_include=Observation:has-member&_include:iterate=Observation:subject');
    expect(sortedMatchIds(b)).toEqual(['obs-b', 'obs-b2']);
    expect(included(b)).toEqual(['Patient/bob']);
    const rev = await search(db().store, 'Patient', '_revinclude=Patient:link');
    expect(sortedMatchIds(rev)).toEqual(['bob']);
    expect(included(rev)).toEqual([]);
  });
  it("_revinclude under policy cannot reveal another patient's data", async () => {
    db().store.policy = compartmentPolicy('alice');
    const b = await search(db().store, 'Practitioner', '_revinclude=Encounter:participant&_revinclude=Observation:performer');
    expect(included(b)).toEqual(['Encounter/enc-a', 'Observation/obs-a']);
  });
});
