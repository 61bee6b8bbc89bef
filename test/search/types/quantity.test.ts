import type { FhirResource as Resource } from 'fhir/r4';
import { openTestDb, save, search, sortedMatchIds, type TestDb } from '../helpers/store';

const UCUM = 'http://unitsofmeasure.org';
const obs = (id: string, valueQuantity: object): Resource => ({ resourceType: 'Observation', id, status: 'final', code: { text: 'x' }, valueQuantity }) as Resource;

describe('quantity search (spec 3.1.1.4.4)', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb();
    await save(
      t.db,
      obs('mg', { value: 5.4, unit: 'mg', system: UCUM, code: 'mg' }),
      obs('ug', { value: 5400, unit: 'µg', system: UCUM, code: 'ug' }),
      obs('g', { value: 1, unit: 'g', system: UCUM, code: 'g' }),
      obs('kg', { value: 70, unit: 'kg', system: UCUM, code: 'kg' }),
      obs('local', { value: 5.4, unit: 'mg', system: 'http://local-units', code: 'MGM' }),
      obs('lt', { value: 3, comparator: '<', unit: 'mg', system: UCUM, code: 'mg' }),
    );
  });
  afterAll(() => t.close());
  const ids = async (q: string) => sortedMatchIds(await search(t.store, 'Observation', q));

  it('compares UCUM quantities in canonical units', async () => {
    expect(await ids(`value-quantity=5.4|${UCUM}|mg`)).toEqual(['mg', 'ug']);
    expect(await ids(`value-quantity=0.0054|${UCUM}|g`)).toEqual(['mg', 'ug']);
    expect(await ids(`value-quantity=gt1|${UCUM}|g`)).toEqual(['kg']);
    expect(await ids(`value-quantity=lt10|${UCUM}|mg`)).toEqual(['lt', 'mg', 'ug']);
  });
  it('number||unit matches the unit code or the written unit', async () => {
    expect(await ids('value-quantity=5.4||mg')).toEqual(['local', 'mg']);
    expect(await ids('value-quantity=5.4||MGM')).toEqual(['local']);
  });
  it('a bare number matches any unit, with the precision of the value', async () => {
    expect(await ids('value-quantity=5.4')).toEqual(['local', 'mg']);
    expect(await ids('value-quantity=5')).toEqual(['local', 'mg']);
    expect(await ids('value-quantity=5.0')).toEqual([]);
  });
  it('a value with a comparator is a half-open range', async () => {
    expect(await ids(`value-quantity=lt1|${UCUM}|mg`)).toEqual(['lt']);
    expect(await ids(`value-quantity=gt3|${UCUM}|mg`)).toEqual(['g', 'kg', 'mg', 'ug']);
  });
  it.each(['value-quantity=abc', 'value-quantity=5|mg', 'value-quantity=xx5', 'value-quantity=5..4'])('rejects %s with 400', async (q) => {
    await expect(ids(q)).rejects.toMatchObject({ category: 'invalid' });
  });
});
