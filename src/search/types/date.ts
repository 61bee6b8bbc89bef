import { badRequest } from '../../errors/operation-outcome-error';
import type { FhirNode } from '../expression';
import type { EntryMatch, Prefix, SearchParam } from '../types';
import type { IndexFields, ParamTypeModule } from './param-type';
import { rangeConditions, splitPrefix } from './prefix';

/** Open ends of a range (a Period without start or end): the extremes a BSON date can hold. */
export const MIN_DATE = new Date(-8.64e15);
export const MAX_DATE = new Date(8.64e15);

const DATE_PATTERN =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

export interface DateRange {
  lo: Date;
  hi: Date;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * A FHIR date, dateTime or instant as the range of instants it covers: `1985` is the whole year, `1985-03-02T10:00`
 * the whole minute. Times without a zone are read as UTC. Returns undefined for anything malformed or impossible
 * (month 13, February 30).
 */
export function parseDateRange(text: string): DateRange | undefined {
  const m = DATE_PATTERN.exec(text);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = m[2] === undefined ? undefined : Number(m[2]);
  const day = m[3] === undefined ? undefined : Number(m[3]);
  if (month !== undefined && (month < 1 || month > 12)) return undefined;
  if (day !== undefined && (day < 1 || day > daysInMonth(year, month!))) return undefined;
  if (month === undefined) return span(Date.UTC(year, 0, 1), Date.UTC(year + 1, 0, 1));
  if (day === undefined) return span(Date.UTC(year, month - 1, 1), Date.UTC(year, month, 1));
  if (m[4] === undefined) return span(Date.UTC(year, month - 1, day), Date.UTC(year, month - 1, day + 1));
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? undefined : Number(m[6]);
  if (hour > 23 || minute > 59 || (second !== undefined && second > 59)) return undefined;
  let offset = 0;
  if (m[8] && m[8] !== 'Z') {
    const oh = Number(m[8].slice(1, 3));
    const om = Number(m[8].slice(4, 6));
    if (oh > 14 || om > 59) return undefined;
    offset = (m[8][0] === '-' ? -1 : 1) * (oh * 60 + om) * 60000;
  }
  const fraction = m[7] ?? '';
  const ms = fraction ? Math.floor(Number(fraction.padEnd(3, '0').slice(0, 3))) : 0;
  const start = Date.UTC(year, month - 1, day, hour, minute, second ?? 0, ms) - offset;
  const width = second === undefined ? 60000 : fraction.length >= 3 ? 1 : fraction ? 10 ** (3 - fraction.length) : 1000;
  return span(start, start + width);
}

function span(start: number, endExclusive: number): DateRange {
  return { lo: new Date(start), hi: new Date(endExclusive - 1) };
}

function rangesOf(node: FhirNode): DateRange[] {
  const v = node.value;
  if (typeof v === 'string') {
    const r = parseDateRange(v);
    return r ? [r] : [];
  }
  if (!v || typeof v !== 'object') return [];
  const o = v as { start?: string; end?: string; event?: string[]; repeat?: { boundsPeriod?: FhirNode['value'] } };
  if (node.type === 'Period' || 'start' in o || 'end' in o) {
    const lo = o.start ? parseDateRange(o.start)?.lo : MIN_DATE;
    const hi = o.end ? parseDateRange(o.end)?.hi : MAX_DATE;
    return lo && hi && lo <= hi ? [{ lo, hi }] : [];
  }
  if (node.type === 'Timing') {
    const out = (o.event ?? []).flatMap((e) => rangesOf({ type: 'dateTime', value: e }));
    if (o.repeat?.boundsPeriod) out.push(...rangesOf({ type: 'Period', value: o.repeat.boundsPeriod }));
    return out;
  }
  return [];
}

export interface DateValue {
  prefix: Prefix;
  range: DateRange;
}

/** Slack for `ap`: 10% of the distance between the value and now, as the spec suggests. */
function approximate(range: DateRange): { lo: Date; hi: Date } {
  const now = Date.now();
  return {
    lo: new Date(range.lo.getTime() - Math.abs(now - range.lo.getTime()) * 0.1),
    hi: new Date(range.hi.getTime() + Math.abs(now - range.hi.getTime()) * 0.1),
  };
}

export function parseDateValue(raw: string, param: string): DateValue {
  const { prefix, rest } = splitPrefix(raw, param);
  const range = parseDateRange(rest);
  if (!range) throw badRequest(`Invalid date "${raw}" for ${param}: expected [prefix]YYYY[-MM[-DD[Thh:mm[:ss[.fff]][zone]]]]`, param);
  return { prefix, range };
}

export function dateConditions(value: DateValue, loField = 'lo', hiField = 'hi'): Record<string, unknown> {
  return rangeConditions(value.prefix, value.range.lo, value.range.hi, approximate(value.range), loField, hiField);
}

export const dateType: ParamTypeModule<DateValue> = {
  modifiers: new Set(),
  index(node: FhirNode): IndexFields[] {
    return rangesOf(node).map((r) => ({ lo: r.lo, hi: r.hi }));
  },
  parse(raw: string, _modifier: string | undefined, param: SearchParam): DateValue {
    return parseDateValue(raw, param.code);
  },
  compile(value: DateValue): EntryMatch {
    return { cond: dateConditions(value) };
  },
};
