import type { FhirResource as Resource } from 'fhir/r4';
import { parseDateRange } from '../../../src/search/types/date';
import { openTestDb, save, search, sortedMatchIds, type TestDb } from '../helpers/store';

describe('parseDateRange: a date value is the range its precision covers', () => {
  it('reads a year as the whole year', () => {
    expect(parseDateRange('1985')).toEqual({ lo: new Date('1985-01-01T00:00:00.000Z'), hi: new Date('1985-12-31T23:59:59.999Z') });
  });
  it('reads a month, including February of a leap year', () => {
    expect(parseDateRange('2024-02')!.hi).toEqual(new Date('2024-02-29T23:59:59.999Z'));
  });
  it('reads a minute-precision time with its zone', () => {
    expect(parseDateRange('2020-03-01T10:00+02:00')).toEqual({
      lo: new Date('2020-03-01T08:00:00.000Z'),
      hi: new Date('2020-03-01T08:00:59.999Z'),
    });
  });
  it('reads fractional seconds at their precision', () => {
    expect(parseDateRange('2020-03-01T10:00:00.5Z')!.hi).toEqual(new Date('2020-03-01T10:00:00.599Z'));
    expect(parseDateRange('2020-03-01T10:00:00.123456Z')).toEqual({
      lo: new Date('2020-03-01T10:00:00.123Z'),
      hi: new Date('2020-03-01T10:00:00.123Z'),
    });
  });
  it.each(['2020-13', '2021-02-29', '2020-01-01T25:00Z', '20200101', 'abc', '2020-1-1', '2020-01-01T10:00:00+15:00', ''])('rejects %s', (v) =>
    expect(parseDateRange(v)).toBeUndefined(),
  );
});

describe('date search (spec 3.1.1.4.2 prefixes against ranges)', () => {
  let t: TestDb;
  const enc = (id: string, period: { start?: string; end?: string }): Resource =>
    ({ resourceType: 'Encounter', id, status: 'finished', class: { code: 'AMB' }, period }) as Resource;
  beforeAll(async () => {
    t = await openTestDb();
    await save(
      t.db,
      enc('jan', { start: '2020-01-10T10:00:00Z', end: '2020-01-10T11:00:00Z' }),
      enc('feb', { start: '2020-02-01', end: '2020-02-03' }),
      enc('span', { start: '2019-12-30T00:00:00Z', end: '2020-01-02T00:00:00Z' }),
      enc('open', { start: '2020-03-01T00:00:00Z' }),
      enc('old', { start: '2018-05-01T00:00:00Z', end: '2018-05-01T01:00:00Z' }),
      { resourceType: 'Patient', id: 'p1980', birthDate: '1980' } as Resource,
      { resourceType: 'Patient', id: 'p1980may', birthDate: '1980-05-02' } as Resource,
      { resourceType: 'Patient', id: 'p1981', birthDate: '1981-01-01' } as Resource,
    );
  });
  afterAll(() => t.close());
  const ids = async (type: string, q: string) => sortedMatchIds(await search(t.store, type, q));

  it('eq matches values inside the search range only', async () => {
    expect(await ids('Encounter', 'date=2020-01')).toEqual(['jan']);
    expect(await ids('Encounter', 'date=eq2020-01-10')).toEqual(['jan']);
  });
  it('a partial birthDate is a range: 1980 contains 1980-05-02, and 1980-05 does not contain 1980', async () => {
    expect(await ids('Patient', 'birthdate=1980')).toEqual(['p1980', 'p1980may']);
    expect(await ids('Patient', 'birthdate=1980-05')).toEqual(['p1980may']);
  });
  it('gt and lt match values extending beyond the search range; an open period extends forever', async () => {
    expect(await ids('Encounter', 'date=gt2020-02-15')).toEqual(['open']);
    expect(await ids('Encounter', 'date=lt2020-01-01')).toEqual(['old', 'span']);
  });
  it('an in-progress encounter (no end) matches any later date it is still open at', async () => {
    expect(await ids('Encounter', 'date=ge2030-01-01')).toEqual(['open']);
    expect(await ids('Encounter', 'date=sa2020-02-15')).toEqual(['open']);
  });
  it('ge and le add the values within the range', async () => {
    expect(await ids('Encounter', 'date=ge2020-02-01')).toEqual(['feb', 'open']);
    expect(await ids('Encounter', 'date=le2020-01-10')).toEqual(['jan', 'old', 'span']);
  });
  it('sa and eb need the whole value after or before the range', async () => {
    expect(await ids('Encounter', 'date=sa2020-01-01')).toEqual(['feb', 'jan', 'open']);
    expect(await ids('Encounter', 'date=eb2020-01-01')).toEqual(['old']);
  });
  it('ne is the complement of eq', async () => {
    expect(await ids('Encounter', 'date=ne2020-01')).toEqual(['feb', 'old', 'open', 'span']);
  });
  it('AND by repeating: a range of dates', async () => {
    expect(await ids('Encounter', 'date=ge2020-01-01&date=le2020-02-28')).toEqual(['feb', 'jan', 'span']);
  });
  it('OR with commas', async () => {
    expect(await ids('Encounter', 'date=2020-01-10,2018')).toEqual(['jan', 'old']);
  });
  it('compares instants across time zones', async () => {
    expect(await ids('Encounter', 'date=2020-01-10T12:30:00%2B02:00')).toEqual([]);
    expect(await ids('Encounter', 'date=ge2020-01-10T12:30:00%2B02:00&date=lt2020-01-11')).toEqual(['jan']);
  });
  it('ap matches values near the search value', async () => {
    expect(await ids('Encounter', 'date=ap2020-01-10')).toContain('jan');
    expect(await ids('Encounter', 'date=ap2020-01-10')).not.toContain('old');
  });
  it.each(['date=2020-13-01', 'date=xx2020', 'date=2020-02-30', 'date=gt', 'date=today', 'date=2020-1'])('rejects the malformed date %s with 400', async (q) => {
    await expect(search(t.store, 'Encounter', q)).rejects.toMatchObject({ category: 'invalid' });
  });
});
