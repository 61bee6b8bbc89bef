import type { ParamType, SearchParam } from './types';

/**
 * Which array of the search index (`s`) holds a parameter's entries: ranges (date, number, quantity, and composites
 * whose first component is one) in `s.r`, everything else (token, string, reference, uri) in `s.e`.
 *
 * Kept apart so that each compound multikey index covers only entries it can serve: with one array, the two range
 * indexes also held a (code, null, null) key for every token and string entry, keys shared by every resource of
 * the type, whose id sets cost the engine most of its index maintenance on each write.
 */
export type EntryArray = 'e' | 'r';

export const RANGE_TYPES: ReadonlySet<ParamType> = new Set<ParamType>(['date', 'number', 'quantity']);

export function entryArray(param: Pick<SearchParam, 'type' | 'components'>): EntryArray {
  const lead = param.type === 'composite' ? param.components?.[0]?.param.type : param.type;
  return lead !== undefined && RANGE_TYPES.has(lead) ? 'r' : 'e';
}
