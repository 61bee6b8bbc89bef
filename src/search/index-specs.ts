import type { IndexDescription } from 'mongodb';
import type { SearchContext } from './context';
import type { SearchRegistry } from './registry';

/**
 * MongoDB indexes for a type's collection. MongoDB allows 64 per collection and a type has dozens of parameters,
 * so entries use the attribute pattern: three compound multikey indexes serve every parameter (equality/prefix on
 * value+system over `s.e`; over `s.r` a range by its start, then end, and a range by its end), one serves
 * compartments, and the sort keys of the most commonly sorted parameters get their own (ascending on the smallest
 * value, descending on the largest).
 */

/** Parameters whose sort keys are indexed, where the type has them (first MAX_SORT_INDEXED that apply). */
const SORTED_PARAMS: readonly string[] = [
  'date',
  'birthdate',
  'family',
  'name',
  'given',
  'authored',
  'onset-date',
  'recorded-date',
  'issued',
  'period',
  'effective',
  'created',
  'status',
  'identifier',
  'code',
];
const MAX_SORT_INDEXED = 8;

export const ENTRY_INDEXES: IndexDescription[] = [
  { key: { 's.e.p': 1, 's.e.v': 1, 's.e.sy': 1 }, name: 'search_value' },
  { key: { 's.r.p': 1, 's.r.lo': 1, 's.r.hi': 1 }, name: 'range_bounds' },
  { key: { 's.r.p': 1, 's.r.hi': 1 }, name: 'range_high' },
  { key: { c: 1, _id: 1 }, name: 'compartment' },
  { key: { lu: -1, _id: 1 }, name: 'lastUpdated_desc' },
];

/**
 * The layout the index builder writes (see store/index-format.ts): 1 kept every entry in `s.e`, with the range
 * indexes `search_range` and `search_high` over it; 2 keeps range entries in `s.r`; 3 adds the patient of types
 * outside the Patient CompartmentDefinition that name one (Device.patient, see fhir/patient-access.ts) to `c`;
 * 4 gives a `code` element's entry the system its binding implies (`sy`), so `system|code` finds it; 5 adds a
 * `_patient-ref` entry per Patient referenced in any element (search/patient-references.ts), for a patient merge;
 * 6 a Binary's `_security-context` entry (search/security-context-entry.ts), for certified destruction.
 */
export const SEARCH_INDEX_FORMAT = { version: 6, obsoleteIndexes: ['search_range', 'search_high'] } as const;

export function sortIndexedParams(registry: SearchRegistry, type: string): string[] {
  const codes = new Set(
    registry
      .params(type)
      .filter((p) => p.type !== 'composite' && p.type !== 'special')
      .map((p) => p.code),
  );
  return SORTED_PARAMS.filter((c) => codes.has(c)).slice(0, MAX_SORT_INDEXED);
}

/** The indexes of `type`'s collection on the server `search` belongs to. */
export function searchIndexSpecs(search: SearchContext, type: string): IndexDescription[] {
  const sorts: IndexDescription[] = sortIndexedParams(search.registry, type).flatMap((code) => [
    { key: { [`s.o.${code}.a`]: 1, _id: 1 }, name: `sort_${code}_asc` },
    { key: { [`s.o.${code}.d`]: -1, _id: 1 }, name: `sort_${code}_desc` },
  ]);
  return [...ENTRY_INDEXES, ...sorts];
}
