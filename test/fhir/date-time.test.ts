import { calendarProblem, dateTimeParts, parseDateRange, parseInstantParameter } from '../../src/fhir/date-time';

const range = (lo: string, hi: string) => ({ lo: new Date(lo), hi: new Date(hi) });
const problemOf = (text: string) => calendarProblem(dateTimeParts(text)!);

describe('parseDateRange: every precision is the range of instants it covers', () => {
  it.each([
    ['2024', '2024-01-01T00:00:00.000Z', '2024-12-31T23:59:59.999Z'],
    ['2024-07', '2024-07-01T00:00:00.000Z', '2024-07-31T23:59:59.999Z'],
    ['2024-07-14', '2024-07-14T00:00:00.000Z', '2024-07-14T23:59:59.999Z'],
    ['2024-07-14T10:30', '2024-07-14T10:30:00.000Z', '2024-07-14T10:30:59.999Z'],
    ['2024-07-14T10:30:15', '2024-07-14T10:30:15.000Z', '2024-07-14T10:30:15.999Z'],
    ['2024-07-14T10:30:15Z', '2024-07-14T10:30:15.000Z', '2024-07-14T10:30:15.999Z'],
  ])('%s', (text, lo, hi) => expect(parseDateRange(text)).toEqual(range(lo, hi)));

  it('narrows to the digits of a fraction, and cuts digits past milliseconds off', () => {
    expect(parseDateRange('2024-07-14T10:30:15.5Z')).toEqual(range('2024-07-14T10:30:15.500Z', '2024-07-14T10:30:15.599Z'));
    expect(parseDateRange('2024-07-14T10:30:15.25Z')).toEqual(range('2024-07-14T10:30:15.250Z', '2024-07-14T10:30:15.259Z'));
    expect(parseDateRange('2024-07-14T10:30:15.250Z')).toEqual(range('2024-07-14T10:30:15.250Z', '2024-07-14T10:30:15.250Z'));
    // R4's dateTime and instant allow any number of digits.
    expect(parseDateRange('2024-07-14T10:30:15.9999999999Z')).toEqual(range('2024-07-14T10:30:15.999Z', '2024-07-14T10:30:15.999Z'));
    expect(dateTimeParts('2024-07-14T10:30:15.9999999999Z')?.precision).toBe('fraction');
  });

  it('reads a time zone as the offset from UTC, across midnight and the year end', () => {
    expect(parseDateRange('2024-01-01T01:00:00+02:00')!.lo).toEqual(new Date('2023-12-31T23:00:00.000Z'));
    expect(parseDateRange('2023-12-31T20:00:00-05:30')!.lo).toEqual(new Date('2024-01-01T01:30:00.000Z'));
    expect(parseDateRange('2024-06-01T12:00:00+14:00')!.lo).toEqual(new Date('2024-05-31T22:00:00.000Z'));
    expect(parseDateRange('2024-06-01T12:00:00-00:00')!.lo).toEqual(new Date('2024-06-01T12:00:00.000Z'));
  });

  it('reads a time without a zone as UTC', () => {
    expect(parseDateRange('2024-06-01T12:00:00')).toEqual(parseDateRange('2024-06-01T12:00:00Z'));
    expect(dateTimeParts('2024-06-01T12:00:00')?.zone).toBeUndefined();
  });

  it('knows leap days: every fourth year, not centuries, but every fourth century', () => {
    expect(parseDateRange('2024-02-29')).toBeDefined();
    expect(parseDateRange('2000-02-29')).toBeDefined();
    expect(parseDateRange('2023-02-29')).toBeUndefined();
    expect(parseDateRange('1900-02-29')).toBeUndefined();
    expect(parseDateRange('2024-02')!.hi).toEqual(new Date('2024-02-29T23:59:59.999Z'));
    expect(parseDateRange('2023-02')!.hi).toEqual(new Date('2023-02-28T23:59:59.999Z'));
    expect(parseDateRange('0000-02-29')).toBeDefined();
  });

  it('keeps the years 0000-0099 as written (not as 1900-1999)', () => {
    expect(parseDateRange('0050-03-01')!.lo.getUTCFullYear()).toBe(50);
    expect(parseDateRange('0099')!.hi.toISOString()).toBe('0099-12-31T23:59:59.999Z');
  });

  it.each([
    ['2024-13', 'month'],
    ['2024-00-10', 'month'],
    ['2024-04-31', 'day'],
    ['2024-01-00', 'day'],
    ['2024-02-30T10:00:00Z', 'day'],
    ['2024-01-01T24:00:00Z', 'time'],
    ['2024-01-01T24:00', 'time'],
    ['2024-01-01T23:60:00Z', 'time'],
    ['2024-12-31T23:59:60Z', 'time'],
    ['2024-01-01T10:00:00+15:00', 'zone'],
    ['2024-01-01T10:00:00+01:60', 'zone'],
  ])('names no instant for %s (%s)', (text, problem) => {
    expect(problemOf(text)).toBe(problem);
    expect(parseDateRange(text)).toBeUndefined();
  });

  it('reports the first problem only: a wrong month hides a wrong day', () => {
    expect(problemOf('2024-13-45T99:00:00Z')).toBe('month');
    expect(problemOf('2023-02-29T25:00:00Z')).toBe('day');
  });

  it.each(['', 'abc', '20240101', '2024-1-1', '24-01-01', '2024-01-01T10', '2024-01-01T10:00:00.Z', '2024-01-01Z', '2024-01-01T10:00:00+0100', ' 2024'])(
    'does not read %j at all',
    (text) => {
      expect(dateTimeParts(text)).toBeUndefined();
      expect(parseDateRange(text)).toBeUndefined();
    },
  );
});

describe('parseInstantParameter: _since and _until', () => {
  it('reads a day as its first instant in UTC, and a time with its zone as that instant', () => {
    expect(parseInstantParameter('2024-03-01')).toEqual(new Date('2024-03-01T00:00:00.000Z'));
    expect(parseInstantParameter('2024-03-01T10:00:00+02:00')).toEqual(new Date('2024-03-01T08:00:00.000Z'));
    expect(parseInstantParameter('2024-03-01T10:00+02:00')).toEqual(new Date('2024-03-01T08:00:00.000Z'));
    expect(parseInstantParameter('2024-03-01T10:00:00.123456Z')).toEqual(new Date('2024-03-01T10:00:00.123Z'));
  });

  it.each(['2024', '2024-03', '2024-03-01T10:00:00', 'yesterday', '9999999-01-01'])('refuses the shape of %s', (text) => {
    expect(parseInstantParameter(text)).toBe('shape');
  });

  it('reads a time without a zone as UTC only when asked to', () => {
    expect(parseInstantParameter('2024-03-01T10:00:00', { zoneless: 'utc' })).toEqual(new Date('2024-03-01T10:00:00.000Z'));
    expect(parseInstantParameter('2024-03-01T10:00:00', { zoneless: 'refuse' })).toBe('shape');
  });

  it.each(['2024-02-30', '2023-02-29T00:00:00Z', '2024-01-01T24:00:00Z', '2024-13-45T99:00:00Z'])('refuses %s as no real time', (text) => {
    expect(parseInstantParameter(text)).toBe('calendar');
  });
});
