import { badRequest } from '../../errors/operation-outcome-error';
import { type DateRange, parseDateRange } from '../../fhir/date-time';
import type { FhirNode } from '../expression';
import type { EntryMatch, Prefix, SearchParam } from '../types';
import type { IndexFields, ParamTypeModule } from './param-type';
import { rangeConditions, splitPrefix } from './prefix';

/** Open ends of a range (a Period without start or end): the extremes a BSON date can hold. */
export const MIN_DATE = new Date(-8.64e15);
export const MAX_DATE = new Date(8.64e15);

export { type DateRange, parseDateRange };

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
