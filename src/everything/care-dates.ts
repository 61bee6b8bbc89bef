import type { Filter } from 'mongodb';
import type { DateRange } from '../fhir/date-time';
import { NOTHING, allOf } from '../store/policy-filter';
import type { StoredDocument } from '../store/stored-document';
import data from './care-date-params.json';

type DocFilter = Filter<StoredDocument>;

/**
 * Compiles a search query on `type` (`date=gt2020-01-01`) to a filter on its stored documents: the search layer's
 * `restrictionFilter`, injected so this module knows nothing of the index layout.
 */
export type QueryCompiler = (type: string, query: string) => DocFilter;

/** A requested period of care: either end may be open. */
export interface CarePeriod {
  start?: DateRange;
  end?: DateRange;
}

const CARE_DATES: Readonly<Record<string, readonly string[]>> = data.types;

/** The date parameters that date a resource of `type`'s care, in order of preference (care-date-params.json). */
export function careDateParams(type: string): readonly string[] {
  return CARE_DATES[type] ?? [];
}

/** Types care-date-params.json dates (for its test). */
export function datedTypes(): string[] {
  return Object.keys(CARE_DATES);
}

/**
 * An instant as search text, to the millisecond: `gt` of the millisecond before the period and `lt` of the one
 * after it select exactly the ranges that reach into it (search's `ge`/`le` of a day leave out a range that ends
 * during the start day having begun before it).
 */
const instant = (ms: number) => new Date(ms).toISOString();

function query(pairs: Array<[string, string]>): string {
  return new URLSearchParams(pairs).toString();
}

/**
 * The resources of `type` whose care date reaches into `period`: each is dated by the first of its type's
 * parameters it has a value for (a DocumentReference by its context period, else its date); those with none are
 * kept or left out as `undated` says. Undefined when nothing is filtered.
 */
export function careDateFilter(compile: QueryCompiler, type: string, period: CarePeriod, undated: 'include' | 'exclude'): DocFilter | undefined {
  if (!period.start && !period.end) return undefined;
  const params = careDateParams(type);
  if (!params.length) return undated === 'include' ? undefined : NOTHING;
  const missing = (code: string) => compile(type, query([[`${code}:missing`, 'true']]));
  const overlaps = (code: string) => {
    const pairs: Array<[string, string]> = [];
    if (period.start) pairs.push([code, `gt${instant(period.start.lo.getTime() - 1)}`]);
    if (period.end) pairs.push([code, `lt${instant(period.end.hi.getTime() + 1)}`]);
    return compile(type, query(pairs));
  };
  const branches = params.map((code, i) => allOf(...params.slice(0, i).map(missing), overlaps(code)));
  if (undated === 'include') branches.push(allOf(...params.map(missing)));
  return branches.length === 1 ? branches[0] : { $or: branches };
}

/** Resources of any type changed at or after `since` (`_since`). */
export function sinceFilter(compile: QueryCompiler, type: string, since: Date | undefined): DocFilter | undefined {
  return since ? compile(type, query([['_lastUpdated', `gt${instant(since.getTime() - 1)}`]])) : undefined;
}
