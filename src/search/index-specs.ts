import type { IndexDescription } from 'mongodb';
import { getSearchParams } from './registry';

/**
 * MongoDB indexes for a type's collection. MongoDB allows 64 per collection and a type has dozens of parameters,
 * so entries use the attribute pattern: three compound multikey indexes over `s.e` serve every parameter
 * (equality/prefix on value+system; a range by its start, then end; a range by its end), one serves compartments, and the sort keys of
 * the most commonly sorted parameters get their own (ascending on the smallest value, descending on the largest).
 */

/** Parameters whose sort keys are indexed, where the type has them (first MAX_SORT_INDEXED that apply). */
const SORTED_PARAMS = [
  'date', 'birthdate', 'family', 'name', 'given', 'authored', 'onset-date', 'recorded-date', 'issued', 'period',
  'effective', 'created', 'status', 'identifier', 'code',
];
const MAX_SORT_INDEXED = 8;

export const ENTRY_INDEXES: IndexDescription[] = [
  { key: { 's.e.p': 1, 's.e.v': 1, 's.e.sy': 1 }, name: 'search_value' },
  { key: { 's.e.p': 1, 's.e.lo': 1, 's.e.hi': 1 }, name: 'search_range' },
  { key: { 's.e.p': 1, 's.e.hi': 1 }, name: 'search_high' },
  { key: { c: 1, _id: 1 }, name: 'compartment' },
  { key: { lu: -1, _id: 1 }, name: 'lastUpdated_desc' },
];

export function sortIndexedParams(type: string): string[] {
  const codes = new Set(getSearchParams(type).filter((p) => p.type !== 'composite' && p.type !== 'special').map((p) => p.code));
  return SORTED_PARAMS.filter((c) => codes.has(c)).slice(0, MAX_SORT_INDEXED);
}

export function searchIndexSpecs(type: string): IndexDescription[] {
  const sorts: IndexDescription[] = sortIndexedParams(type).flatMap((code) => [
    { key: { [`s.o.${code}.a`]: 1, _id: 1 }, name: `sort_${code}_asc` },
    { key: { [`s.o.${code}.d`]: -1, _id: 1 }, name: `sort_${code}_desc` },
  ]);
  return [...ENTRY_INDEXES, ...sorts];
}
