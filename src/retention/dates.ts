import { DateTime, Duration } from 'luxon';

/**
 * The calendar of a retention policy. Retention counts in calendar dates of the policy's time zone, never in
 * instants: a trigger is the date on which something happened there, a destroy-after is a date, and a record is
 * due on that date from its first moment. So:
 * - an instant (a dateTime with a time and its offset) is read as the date it falls on in the policy's zone
 *   (2015-03-02T23:30:00-08:00 is 2015-03-03 in America/New_York);
 * - a date is that date, whatever the zone;
 * - a partial date (a year, a month) is its LAST day (2004 is 2004-12-31): never count from earlier than the
 *   record says, so a record is never due before its time;
 * - adding a period never lands early: when the day does not exist in the target month, the result is the first
 *   day of the next month (2004-02-29 plus P18Y is 2022-03-01; 2023-01-31 plus P1M is 2023-03-01). Years and months
 *   are added first, then weeks and days.
 */

/** A calendar date, `YYYY-MM-DD`. */
export type CalendarDate = string;

const DATE_ONLY = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;

/** Throws when `zone` is not an IANA time zone luxon knows. */
export function assertTimeZone(zone: string): void {
  const probe = DateTime.now().setZone(zone);
  if (!probe.isValid) throw new Error(`'${zone}' is not a known IANA time zone (${probe.invalidReason})`);
}

/** The calendar units of an ISO 8601 duration the policy file allows (P10Y, P3Y6M, P2W, P30D). */
export function parsePeriod(text: string): Duration {
  const d = Duration.fromISO(text);
  const o = d.isValid ? d.toObject() : undefined;
  if (!o || Object.keys(o).some((k) => !['years', 'months', 'weeks', 'days'].includes(k))) {
    throw new Error(`'${text}' is not a period of years, months, weeks and days (P10Y, P3Y6M, P30D)`);
  }
  return d;
}

const utcDate = (year: number, month: number, day: number) => DateTime.utc(year, month, day);

/**
 * The calendar date a FHIR date, dateTime or instant names in `zone` (a partial date: its last day), or
 * undefined when the text is not one.
 */
export function calendarDate(text: string, zone: string): CalendarDate | undefined {
  const m = DATE_ONLY.exec(text);
  if (m) {
    const [year, month, day] = [Number(m[1]), m[2] === undefined ? 12 : Number(m[2]), m[3] === undefined ? undefined : Number(m[3])];
    const first = utcDate(year, month, day ?? 1);
    if (!first.isValid) return undefined;
    return (day === undefined ? first.endOf('month') : first).toISODate() ?? undefined;
  }
  // FHIR requires a time to carry its offset; one without is read as UTC, as the search layer reads it.
  const instant = DateTime.fromISO(text, { zone: 'utc', setZone: true });
  return instant.isValid ? (instant.setZone(zone).toISODate() ?? undefined) : undefined;
}

/** Today (or the date of `at`) in `zone`. */
export function dateAt(at: Date, zone: string): CalendarDate {
  return DateTime.fromJSDate(at).setZone(zone).toISODate() as CalendarDate;
}

/** `date` plus `period`, landing on the next month's first day rather than clamping back to a month's end. */
export function addPeriod(date: CalendarDate, period: Duration): CalendarDate {
  const start = DateTime.fromISO(date, { zone: 'utc' });
  const { years = 0, months = 0, weeks = 0, days = 0 } = period.toObject();
  let end = start.plus({ years, months });
  if ((years !== 0 || months !== 0) && end.day < start.day) end = end.plus({ days: 1 });
  return end.plus({ weeks, days }).toISODate() as CalendarDate;
}
