import type { Resource } from 'fhir/r4';
import { patientLinkParams } from '../fhir/patient-access';
import type { SearchContext } from './context';
import { evaluatorFor } from './registry';
import { entryArray } from './entry-array';
import type { SearchDiagnostics } from './diagnostics';
import type { IndexEntry, SearchIndexDoc, SearchParam, SortKey } from './types';
import { ComponentMemo } from './types/component-memo';
import type { IndexScope } from './types/param-type';
import { isSupportedType, moduleFor } from './types/index';
import { patientReferenceEntries } from './patient-references';
import { securityContextEntries } from './security-context-entry';

/**
 * Index-on-write: the normalised values of every search parameter of the resource's type (`s`), and the patient
 * compartments it belongs to (`c`). Runs synchronously inside every create/update, so expressions are compiled
 * once per parameter (registry) and a parameter whose expression fails on odd data is skipped, never fatal; the
 * failure is reported to the server's diagnostics (counted for health, warned once per parameter).
 */

/** Where index-on-write reports a parameter it had to skip. */
export type IndexErrorSink = Pick<SearchDiagnostics, 'indexFailed'>;

/** Parameters answered from document fields rather than `s.e`/`s.r`. */
export const DIRECT_PARAMS: ReadonlySet<string> = new Set(['_id', '_lastUpdated']);

export const MAX_ENTRIES_PER_PARAM = 500;

function entryKey(e: IndexEntry): string {
  return JSON.stringify(e);
}

function sortValue(e: IndexEntry, end: 'lo' | 'hi'): string | number | Date | undefined {
  const bound = e[end];
  if (bound instanceof Date || (typeof bound === 'number' && Number.isFinite(bound))) return bound;
  return typeof e.v === 'string' ? e.v : undefined;
}

/** Smallest and largest value of one parameter (spec: ascending sorts use the lowest, descending the highest). */
export function sortKey(entries: IndexEntry[]): SortKey | undefined {
  let a: SortKey['a'] | undefined;
  let d: SortKey['d'] | undefined;
  for (const e of entries) {
    if (e.cn) continue;
    const lo = sortValue(e, 'lo');
    const hi = sortValue(e, 'hi');
    if (lo !== undefined && (a === undefined || lo < a)) a = lo;
    if (hi !== undefined && (d === undefined || hi > d)) d = hi;
  }
  return a !== undefined && d !== undefined ? { a, d } : undefined;
}

function indexParam(resource: Resource, param: SearchParam, scope: IndexScope, errors: IndexErrorSink | undefined): IndexEntry[] {
  if (!param.expression || !isSupportedType(param.type)) return [];
  let nodes;
  try {
    // Compiled on first use, inside the guard: a definition that does not compile fails like one that throws.
    nodes = evaluatorFor(param)!(resource);
  } catch (err) {
    errors?.indexFailed(resource.resourceType, param.code, err);
    return [];
  }
  const module = moduleFor(param.type);
  const entries: IndexEntry[] = [];
  for (const node of nodes) {
    let indexed;
    try {
      indexed = module.index(node, param, scope);
    } catch (err) {
      // Odd data in one element (a composite's parts) leaves that element out of search, nothing more.
      errors?.indexFailed(resource.resourceType, param.code, err);
      continue;
    }
    for (const fields of indexed) entries.push({ ...fields, p: fields.p ?? param.code } as IndexEntry);
  }
  // Most parameters have one entry: nothing to compare it with, so no key to serialise.
  if (entries.length < 2) return entries;
  const seen = new Set<string>();
  const out: IndexEntry[] = [];
  for (const entry of entries) {
    const key = entryKey(entry);
    if (!seen.has(key) && out.length < MAX_ENTRIES_PER_PARAM) {
      seen.add(key);
      out.push(entry);
    }
  }
  return out;
}

export function compartments(type: string, id: string | undefined, entries: IndexEntry[]): string[] {
  const params = patientLinkParams(type);
  const out = new Set<string>();
  if (type === 'Patient' && id) out.add(`Patient/${id}`);
  if (params) {
    for (const e of entries) {
      if (params.includes(e.p) && typeof e.v === 'string' && e.v.startsWith('Patient/')) out.add(e.v);
    }
  }
  return [...out];
}

/** The index of `resource` on the server `search` belongs to (its parameters, its base URL). */
export function buildSearchIndex(search: SearchContext, resource: Resource, errors?: IndexErrorSink): { s: SearchIndexDoc; c: string[] } {
  // Composites share components: each is indexed once per element for this resource.
  const scope: IndexScope = { search, memo: new ComponentMemo() };
  const e: IndexEntry[] = [];
  const r: IndexEntry[] = [];
  const o: Record<string, SortKey> = {};
  for (const param of search.registry.params(resource.resourceType)) {
    if (DIRECT_PARAMS.has(param.code)) continue;
    const entries = indexParam(resource, param, scope, errors);
    if (!entries.length) continue;
    (entryArray(param) === 'r' ? r : e).push(...entries);
    if (param.type !== 'composite') {
      const key = sortKey(entries.filter((x) => x.p === param.code));
      if (key) o[param.code] = key;
    }
  }
  e.push(...patientReferenceEntries(resource, search.baseUrl), ...securityContextEntries(resource, search.baseUrl));
  // No `r` without ranges: an absent array is one null key per index, an empty one the same key under another name.
  return { s: r.length ? { e, r, o } : { e, o }, c: compartments(resource.resourceType, resource.id, e) };
}
