import { createSearchApi, findMatchingIds, restrictionFilter, searchParametersFor } from '../../src/search';
import { twoPatients } from './helpers/fixtures';
import type { StoredDocument } from '../../src/store/stored-document';
import { BASE, matchIds, testSearch, useTestDb } from './helpers/store';

describe('public search API', () => {
  const db = useTestDb(twoPatients);

  it('findMatchingIds returns the ids matching a conditional query', async () => {
    expect(await findMatchingIds(testSearch, db().store, 'Patient', [['family', 'alpha']], 2)).toEqual(['alice']);
    expect(await findMatchingIds(testSearch, db().store, 'Observation', [['code', '1234-5']], 2)).toEqual(['obs-a', 'obs-b']);
    expect(await findMatchingIds(testSearch, db().store, 'Observation', [['code', '1234-5']], 1)).toEqual(['obs-a']);
  });
  it('findMatchingIds refuses unknown parameters rather than widening the match', async () => {
    await expect(findMatchingIds(testSearch, db().store, 'Patient', [['famly', 'alpha']], 2)).rejects.toMatchObject({ category: 'invalid' });
    await expect(findMatchingIds(testSearch, db().store, 'Patient', [['_count', '1']], 2)).rejects.toMatchObject({ category: 'invalid' });
  });
  it('restrictionFilter compiles a granular-scope query for the repository', async () => {
    const filter = restrictionFilter(testSearch, 'Observation', 'code=http://loinc.org|9999-9');
    const docs = await db().db.collection<StoredDocument>('Observation').find(filter).toArray();
    expect(docs.map((d) => d._id)).toEqual(['obs-b2']);
    expect(() => restrictionFilter(testSearch, 'Observation', 'subject:Patient.name=x')).toThrow(expect.objectContaining({ category: 'invalid' }));
  });
  it('searchParametersFor lists every supported parameter with its definition and type', () => {
    const params = searchParametersFor(testSearch, 'Patient');
    expect(params).toEqual(
      expect.arrayContaining([
        { name: 'family', definition: 'http://hl7.org/fhir/SearchParameter/individual-family', type: 'string', documentation: expect.any(String) },
        expect.objectContaining({ name: '_id', type: 'token' }),
        expect.objectContaining({ name: '_lastUpdated', type: 'date' }),
        expect.objectContaining({ name: 'race', definition: 'http://hl7.org/fhir/us/core/SearchParameter/us-core-race' }),
      ]),
    );
    expect(params.map((p) => p.name)).not.toContain('_content');
    expect(searchParametersFor(testSearch, 'Location').map((p) => p.name)).not.toContain('near');
  });
  it('createSearchApi adapts to the router: links from the base URL, page sizes from settings', async () => {
    const api = createSearchApi(testSearch, { defaultCount: 1, maxCount: 5 });
    const b = await api.executeSearch(db().store, 'Observation', [['code', '1234-5']], { strict: false, selfUrl: `${BASE}/Observation?code=1234-5` });
    expect(matchIds(b)).toHaveLength(1);
    expect(b.link!.map((l) => l.relation)).toEqual(['self', 'next']);
    await expect(api.executeSearch(db().store, 'Observation', [['bogus', '1']], { strict: true, selfUrl: `${BASE}/Observation` })).rejects.toMatchObject({
      category: 'invalid',
    });
  });
});
