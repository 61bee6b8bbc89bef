import { addPeriod, calendarDate, dateAt, parsePeriod } from '../../src/retention/dates';

/** The calendar a retention policy counts in: dates of its time zone, partial dates at their end, no early landings. */
describe('calendarDate: the date a FHIR value names in the policy time zone', () => {
  it('reads an instant as the date it falls on in the zone', () => {
    expect(calendarDate('2015-03-02T23:30:00-08:00', 'America/Los_Angeles')).toBe('2015-03-02');
    expect(calendarDate('2015-03-02T23:30:00-08:00', 'America/New_York')).toBe('2015-03-03');
    expect(calendarDate('2015-03-02T23:30:00-08:00', 'UTC')).toBe('2015-03-03');
    expect(calendarDate('2015-03-03T02:00:00Z', 'America/New_York')).toBe('2015-03-02');
  });

  it('keeps a date as written whatever the zone, east or west of UTC', () => {
    expect(calendarDate('2015-03-02', 'Pacific/Kiritimati')).toBe('2015-03-02');
    expect(calendarDate('2015-03-02', 'Pacific/Pago_Pago')).toBe('2015-03-02');
  });

  it('reads a year or a month as its last day, so a period never starts early', () => {
    expect(calendarDate('2004', 'UTC')).toBe('2004-12-31');
    expect(calendarDate('2004-02', 'UTC')).toBe('2004-02-29');
    expect(calendarDate('2003-02', 'UTC')).toBe('2003-02-28');
  });

  it('rejects what is not a date', () => {
    expect(calendarDate('2015-02-30', 'UTC')).toBeUndefined();
    expect(calendarDate('yesterday', 'UTC')).toBeUndefined();
  });

  it("gives today's date in the zone", () => {
    const at = new Date('2024-01-01T03:00:00Z');
    expect(dateAt(at, 'UTC')).toBe('2024-01-01');
    expect(dateAt(at, 'America/Chicago')).toBe('2023-12-31');
  });
});

describe('addPeriod: calendar arithmetic that never lands early', () => {
  it('adds years to February 29 landing on March 1 in a common year, on February 29 in a leap year', () => {
    expect(addPeriod('2004-02-29', parsePeriod('P18Y'))).toBe('2022-03-01');
    expect(addPeriod('2004-02-29', parsePeriod('P1Y'))).toBe('2005-03-01');
    expect(addPeriod('2004-02-29', parsePeriod('P4Y'))).toBe('2008-02-29');
  });

  it('moves past a month end the target month lacks', () => {
    expect(addPeriod('2023-01-31', parsePeriod('P1M'))).toBe('2023-03-01');
    expect(addPeriod('2023-03-31', parsePeriod('P1M'))).toBe('2023-05-01');
    expect(addPeriod('2023-01-15', parsePeriod('P1M'))).toBe('2023-02-15');
  });

  it('adds years and months first, then weeks and days', () => {
    expect(addPeriod('2015-03-03', parsePeriod('P10Y'))).toBe('2025-03-03');
    expect(addPeriod('2023-01-31', parsePeriod('P1M1D'))).toBe('2023-03-02');
    expect(addPeriod('2023-12-25', parsePeriod('P1W'))).toBe('2024-01-01');
  });

  it('accepts only calendar units', () => {
    expect(() => parsePeriod('PT24H')).toThrow(/years, months, weeks and days/);
    expect(() => parsePeriod('10 years')).toThrow(/not a period/);
  });
});
