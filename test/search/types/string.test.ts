import type { FhirResource as Resource } from 'fhir/r4';
import { openTestDb, save, search, sortedMatchIds, type TestDb } from '../helpers/store';

describe('string search (spec 3.1.1.4.7)', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb();
    await save(
      t.db,
      { resourceType: 'Patient', id: 'mueller', name: [{ family: 'Müller', given: ['Jürgen', 'Hans'], prefix: ['Dr.'] }] },
      { resourceType: 'Patient', id: 'muller', name: [{ family: 'MULLER', given: ['Anna'] }] },
      { resourceType: 'Patient', id: 'regex', name: [{ family: 'O.Brien (a+b)*', text: 'Mary O.Brien' }] },
      { resourceType: 'Patient', id: 'addr', address: [{ line: ['1 Main Street'], city: 'Zürich', postalCode: '8001', country: 'CH' }] },
      { resourceType: 'Patient', id: 'noname', gender: 'unknown' },
    );
  });
  afterAll(() => t.close());
  const ids = async (q: string, strict = false) => sortedMatchIds(await search(t.store, 'Patient', q, {}, strict));

  it('matches a case- and accent-insensitive prefix', async () => {
    expect(await ids('family=mull')).toEqual(['mueller', 'muller']);
    expect(await ids('family=MÜLLER')).toEqual(['mueller', 'muller']);
  });
  it('does not match in the middle of a value without :contains', async () => {
    expect(await ids('family=ller')).toEqual([]);
    expect(await ids('family:contains=ller')).toEqual(['mueller', 'muller']);
  });
  it('matches any part of a HumanName for name (family, given, prefix, text)', async () => {
    expect(await ids('name=hans')).toEqual(['mueller']);
    expect(await ids('name=dr')).toEqual(['mueller']);
    expect(await ids('name=mary')).toEqual(['regex']);
  });
  it('matches any part of an Address', async () => {
    expect(await ids('address=1 main')).toEqual(['addr']);
    expect(await ids('address=main')).toEqual([]);
    expect(await ids('address=zurich')).toEqual(['addr']);
    expect(await ids('address-postalcode=800')).toEqual(['addr']);
  });
  it(':exact is case- and accent-sensitive and whole-value', async () => {
    expect(await ids('family:exact=Müller')).toEqual(['mueller']);
    expect(await ids('family:exact=Muller')).toEqual([]);
    expect(await ids('family:exact=Mül')).toEqual([]);
  });
  it('treats regular-expression characters as literal text', async () => {
    expect(await ids('family=o.brien (a%2Bb)*')).toEqual(['regex']);
    expect(await ids('family:contains=(a%2Bb)*')).toEqual(['regex']);
    expect(await ids('family:contains=.*')).toEqual([]);
    expect(await ids('family=.*')).toEqual([]);
    expect(await ids('family:contains=[')).toEqual([]);
  });
  it('OR with commas, AND by repeating', async () => {
    expect(await ids('family=mull,o.b')).toEqual(['mueller', 'muller', 'regex']);
    expect(await ids('name=mull&name=hans')).toEqual(['mueller']);
  });
  it(':missing finds resources with and without a value', async () => {
    expect(await ids('name:missing=true')).toEqual(['addr', 'noname']);
    expect(await ids('family:missing=false')).toEqual(['mueller', 'muller', 'regex']);
  });
  it('ignores an empty value', async () => {
    expect(await ids('family=')).toEqual(['addr', 'mueller', 'muller', 'noname', 'regex']);
  });
  it('never lets a value become an operator', async () => {
    expect(await ids('family={"$ne":null}')).toEqual([]);
    expect(await ids('family=$where')).toEqual([]);
  });
  it('rejects an unknown modifier with 400', async () => {
    await expect(ids('family:regex=x')).rejects.toMatchObject({ category: 'invalid' });
    await expect(ids('family:below=x')).rejects.toMatchObject({ category: 'invalid' });
  });
});

describe('string search on long values', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb();
    await save(t.db, { resourceType: 'Patient', id: 'long', name: [{ family: 'x'.repeat(400) + 'tail' }] } as Resource);
  });
  afterAll(() => t.close());
  it('still matches by prefix and exactly', async () => {
    expect(sortedMatchIds(await search(t.store, 'Patient', `family=${'x'.repeat(300)}`))).toEqual(['long']);
    expect(sortedMatchIds(await search(t.store, 'Patient', `family:exact=${'x'.repeat(400)}tail`))).toEqual(['long']);
    expect(sortedMatchIds(await search(t.store, 'Patient', `family:exact=${'x'.repeat(400)}tai`))).toEqual([]);
  });
});
