import { dateTimeParts, rangeOfParts } from '../fhir/date-time';

/**
 * When a deficiency begins and when it becomes delinquent. Instants (a dateTime with a time, which FHIR requires to
 * carry its offset) are compared as instants, whatever offset they were written with. A date-only value (or a
 * year, or a month) names a whole period of the site's calendar, read in the rules file's `timeZone`: the
 * deficiency begins at the END of that period (the first instant after it), so a clinician is never given less
 * than the deadline. A deadline is a duration added to that instant (a day is 24 hours).
 */

const DURATION = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$/;

/** Milliseconds of an ISO 8601 duration of days, hours and minutes (the rules file's `deadline`). */
export function durationMs(text: string): number {
  const m = DURATION.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) throw new Error(`'${text}' is not a duration of days, hours and minutes (P14D, PT24H, P1DT12H)`);
  const [, d, h, min] = m.map((x) => Number(x ?? 0));
  return ((d * 24 + h) * 60 + min) * 60_000;
}

/** A time zone's offset from UTC at an instant, in milliseconds (what a wall clock there reads minus UTC). */
function zoneOffsetMs(timeZone: string, at: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(at));
  const n = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second'));
  return wall - Math.floor(at / 1000) * 1000;
}

/** The instant a wall-clock time (given as if it were UTC) names in `timeZone`; across a DST gap, the later one. */
function wallTimeToInstant(timeZone: string, wallAsUtc: number): number {
  const first = wallAsUtc - zoneOffsetMs(timeZone, wallAsUtc);
  return wallAsUtc - zoneOffsetMs(timeZone, first);
}

/** Throws when `timeZone` is not an IANA name this runtime knows. */
export function assertTimeZone(timeZone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw new Error(`'${timeZone}' is not a known IANA time zone`);
  }
}

/**
 * The instant a deficiency begins for a FHIR date, dateTime or instant: the instant itself, or for a value without a
 * time the end of the day (month, year) it names in `timeZone`. Undefined when the text is not a valid date.
 */
export function startInstant(text: string, timeZone: string): Date | undefined {
  const parts = dateTimeParts(text);
  const range = parts && rangeOfParts(parts);
  if (!parts || !range) return undefined;
  if (parts.hour !== undefined) return range.lo;
  // rangeOfParts read the period in UTC: its end (exclusive) as a wall time, moved into the site's zone.
  return new Date(wallTimeToInstant(timeZone, range.hi.getTime() + 1));
}
