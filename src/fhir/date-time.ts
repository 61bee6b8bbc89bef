/**
 * The one reader of FHIR date, dateTime and instant text (search values and index entries, `_since`/`_until`,
 * the validator's calendar check). A value is the range of instants its precision covers: `1985` is the whole
 * year, `1985-03-02T10:00` the whole minute, `10:00:00.5` a tenth of a second.
 */

/** The first and last millisecond a value covers. */
export interface DateRange {
  lo: Date;
  hi: Date;
}

/** How much of a value is written, which sets the width of its range. */
export type DatePrecision = 'year' | 'month' | 'day' | 'minute' | 'second' | 'fraction';

/** A value's parts as written: the shape is right, the calendar not yet checked. */
export interface DateTimeParts {
  precision: DatePrecision;
  year: number;
  month?: number;
  day?: number;
  hour?: number;
  minute?: number;
  second?: number;
  /** The digits after the decimal point. */
  fraction?: string;
  /** `Z` or `+hh:mm`/`-hh:mm`; absent when no zone is written (the time is then read as UTC). */
  zone?: string;
}

/**
 * Why written parts name no instant. Checked in this order, so a value has one problem: a month outside 1-12, a
 * day its month does not have (February 29 outside leap years), a time past 23:59:59 (no `24:00`, no leap second),
 * an offset of more than 14 hours or 59 minutes.
 */
export type CalendarProblem = 'month' | 'day' | 'time' | 'zone';

/** YYYY[-MM[-DD[Thh:mm[:ss[.fraction]][zone]]]]: FHIR's forms, plus search's minute precision and zoneless times. */
const DATE_TIME = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

const num = (digits: string | undefined) => (digits === undefined ? undefined : Number(digits));

/** The parts of `text`, or undefined when it does not have the shape of a date, dateTime or instant. */
export function dateTimeParts(text: string): DateTimeParts | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const [, year, month, day, hour, minute, second, fraction, zone] = m;
  const precision: DatePrecision =
    fraction !== undefined
      ? 'fraction'
      : second !== undefined
        ? 'second'
        : hour !== undefined
          ? 'minute'
          : day !== undefined
            ? 'day'
            : month !== undefined
              ? 'month'
              : 'year';
  return {
    precision,
    year: Number(year),
    month: num(month),
    day: num(day),
    hour: num(hour),
    minute: num(minute),
    second: num(second),
    fraction,
    zone,
  };
}

const isLeapYear = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1];
}

/** The offset a zone names, in minutes east of UTC, or undefined when it is out of range. */
function offsetMinutes(zone: string | undefined): number | undefined {
  if (zone === undefined || zone === 'Z') return 0;
  const hours = Number(zone.slice(1, 3));
  const minutes = Number(zone.slice(4, 6));
  if (hours > 14 || minutes > 59) return undefined;
  return (zone[0] === '-' ? -1 : 1) * (hours * 60 + minutes);
}

/** What makes `parts` name no real instant, or undefined when they name one. */
export function calendarProblem(p: DateTimeParts): CalendarProblem | undefined {
  if (p.month !== undefined && (p.month < 1 || p.month > 12)) return 'month';
  if (p.day !== undefined && (p.day < 1 || p.day > daysInMonth(p.year, p.month!))) return 'day';
  if (p.hour !== undefined && (p.hour > 23 || p.minute! > 59 || (p.second ?? 0) > 59)) return 'time';
  if (offsetMinutes(p.zone) === undefined) return 'zone';
  return undefined;
}

/** Milliseconds since the epoch of a UTC calendar time; years 0-99 stay themselves (Date.UTC reads them as 19xx). */
function utc(year: number, monthIndex: number, day = 1, hour = 0, minute = 0, second = 0, ms = 0): number {
  const d = new Date(0);
  d.setUTCFullYear(year, monthIndex, day);
  d.setUTCHours(hour, minute, second, ms);
  return d.getTime();
}

/** The width of a time's range in milliseconds: a minute, a second, or what the fraction's digits leave open. */
function timeWidth(p: DateTimeParts): number {
  if (p.second === undefined) return 60_000;
  const digits = p.fraction?.length ?? 0;
  return digits >= 3 ? 1 : 10 ** (3 - digits);
}

/** The instants `parts` cover, or undefined when they name none (see CalendarProblem). */
export function rangeOfParts(p: DateTimeParts): DateRange | undefined {
  if (calendarProblem(p)) return undefined;
  const { year, month, day } = p;
  if (month === undefined) return span(utc(year, 0), utc(year + 1, 0));
  if (day === undefined) return span(utc(year, month - 1), utc(year, month));
  if (p.hour === undefined) return span(utc(year, month - 1, day), utc(year, month - 1, day + 1));
  // Digits past milliseconds are cut off: a Date holds no finer time.
  const ms = p.fraction ? Number(p.fraction.padEnd(3, '0').slice(0, 3)) : 0;
  const start = utc(year, month - 1, day, p.hour, p.minute, p.second ?? 0, ms) - offsetMinutes(p.zone)! * 60_000;
  return span(start, start + timeWidth(p));
}

function span(start: number, endExclusive: number): DateRange {
  return { lo: new Date(start), hi: new Date(endExclusive - 1) };
}

/**
 * A FHIR date, dateTime or instant (or search's minute precision) as the range of instants it covers. Times without
 * a zone are read as UTC. Undefined for anything malformed or impossible (month 13, February 30, 24:00).
 */
export function parseDateRange(text: string): DateRange | undefined {
  const parts = dateTimeParts(text);
  return parts && rangeOfParts(parts);
}

/**
 * A point in time given as a request parameter (`_since`, `_until`): a day, read as its first instant in UTC, or a
 * time of day with its zone. `shape` when the text is neither, `calendar` when it names no real day or time.
 * `zoneless: 'utc'` also reads a time without a zone, as UTC like a day (bulk export's `_since`, which clients send
 * both ways); by default such a time is `shape`, as an instant needs its zone.
 */
export function parseInstantParameter(text: string, opts: { zoneless?: 'utc' | 'refuse' } = {}): Date | 'shape' | 'calendar' {
  const parts = dateTimeParts(text);
  if (!parts || parts.precision === 'year' || parts.precision === 'month') return 'shape';
  if (parts.precision !== 'day' && parts.zone === undefined && opts.zoneless !== 'utc') return 'shape';
  return rangeOfParts(parts)?.lo ?? 'calendar';
}
