/**
 * Sort comparator with MongoDB's array rule: an array field sorts by its smallest element ascending and by its
 * largest element descending (mingo uses the same key both ways, which breaks FHIR `_sort=-date` on repeating
 * elements). An empty array sorts below null; a missing field sorts as null.
 */
import { compareValues } from '../values/bson-order';
import { badValue } from '../errors';
import { MISSING, collectValues, splitPath } from './paths';
import type { Doc } from './matcher';

export type SortSpec = Array<[path: string, direction: 1 | -1]>;

export function parseSort(sort: unknown): SortSpec {
  if (sort === undefined || sort === null) return [];
  if (typeof sort !== 'object' || Array.isArray(sort)) throw badValue('sort must be an object');
  return Object.entries(sort as Record<string, unknown>).map(([path, dir]) => {
    if (dir === 1 || dir === -1) return [path, dir];
    if (dir === '1' || dir === 'asc' || dir === 'ascending') return [path, 1];
    if (dir === '-1' || dir === 'desc' || dir === 'descending') return [path, -1];
    if (typeof dir === 'object' && dir !== null && '$meta' in dir) throw badValue('$meta sort is not supported by the embedded engine');
    throw badValue(`Invalid sort direction for ${path}: ${String(dir)}`);
  });
}

const EMPTY_ARRAY_KEY = Symbol('empty-array');

function compareKeys(a: unknown, b: unknown): number {
  if (a === EMPTY_ARRAY_KEY || b === EMPTY_ARRAY_KEY) return a === b ? 0 : a === EMPTY_ARRAY_KEY ? -1 : 1;
  return compareValues(a, b);
}

/** The value a document sorts by for one key. */
export function sortKey(doc: Doc, path: string, direction: 1 | -1): unknown {
  const values = path.includes('.') ? collectValues(doc, splitPath(path)) : [doc[path] === undefined ? MISSING : doc[path]];
  let best: unknown = undefined;
  let have = false;
  for (const v of values) {
    const candidates = Array.isArray(v) ? (v.length === 0 ? [EMPTY_ARRAY_KEY] : v) : [v === MISSING ? null : v];
    for (const c of candidates) {
      if (!have || compareKeys(c, best) * direction < 0) {
        best = c;
        have = true;
      }
    }
  }
  return have ? best : null;
}

/** Comparator over documents; keys are computed once per document by the caller-side decorate step. */
export function sortDocuments<T extends Doc>(docs: T[], spec: SortSpec): T[] {
  if (spec.length === 0) return docs;
  const decorated = docs.map((d, i) => ({ d, i, k: spec.map(([p, dir]) => sortKey(d, p, dir)) }));
  decorated.sort((x, y) => {
    for (let j = 0; j < spec.length; j++) {
      const c = compareKeys(x.k[j], y.k[j]) * spec[j][1];
      if (c !== 0) return c;
    }
    return x.i - y.i;
  });
  return decorated.map((x) => x.d);
}
