import type { Document, Filter, Sort } from 'mongodb';
import { badRequest } from '../errors/operation-outcome-error';
import type { StoredDocument } from '../store/stored-document';
import type { SortSpec } from './types';

/**
 * Sorting and keyset paging. Sort keys are document fields: `_id`, `lu` (_lastUpdated) or a parameter's stored
 * sort key `s.o.<code>.a` (its smallest value, for ascending) / `.d` (largest, for descending), as the spec asks
 * for multi-valued elements. The resource type is a key too (constant per collection) so a system search pages
 * across types, and `_id` ends every sort, so the order is total. A page token holds the last (or first) row's
 * keys; the next page is "rows after these keys", which stays free of duplicates and gaps while data changes.
 * History pages the same way, by (lu, type, _id) newest first (src/router/interactions/history.ts).
 */

export type KeyValue = string | number | Date | null;

export interface SortKeyDef {
  /** Document field, or undefined for the resource type key. */
  field?: string;
  desc: boolean;
  /** Every document has a value in the field (`lu`, `_id`), so no branch for a missing value is needed. */
  required?: boolean;
}

/** Fields every stored document (current or history) has. */
const REQUIRED_FIELDS: ReadonlySet<string> = new Set(['lu', '_id']);

export function sortKeyDefs(sort: readonly SortSpec[]): SortKeyDef[] {
  const keys: SortKeyDef[] = [];
  for (const s of sort) {
    if (s.code === '_id') break;
    const field = s.code === '_lastUpdated' ? 'lu' : `s.o.${s.code}.${s.desc ? 'd' : 'a'}`;
    if (!keys.some((k) => k.field === field)) keys.push({ field, desc: s.desc, required: REQUIRED_FIELDS.has(field) });
  }
  const idDesc = sort.find((s) => s.code === '_id')?.desc ?? false;
  keys.push({ field: undefined, desc: idDesc }, { field: '_id', desc: idDesc, required: true });
  return keys;
}

export function mongoSort(keys: readonly SortKeyDef[], reverse: boolean): Sort {
  const sort: Record<string, 1 | -1> = {};
  for (const k of keys) if (k.field) sort[k.field] = k.desc !== reverse ? -1 : 1;
  return sort;
}

function fieldValue(doc: Document, field: string): KeyValue {
  let v: unknown = doc;
  for (const part of field.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  return v instanceof Date || typeof v === 'string' || typeof v === 'number' ? v : null;
}

/** The sort key values of a document (a current or a history one) of `type`. */
export function keyValues(doc: Document, type: string, keys: readonly SortKeyDef[]): KeyValue[] {
  return keys.map((k) => (k.field ? fieldValue(doc, k.field) : type));
}

/** MongoDB's order for the values a sort key can hold: null first, then numbers, strings, dates. */
export function compareKeys(a: KeyValue, b: KeyValue): number {
  const rank = (v: KeyValue) => (v === null ? 0 : typeof v === 'number' ? 1 : typeof v === 'string' ? 2 : 3);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (a === null || b === null) return 0;
  const x = a instanceof Date ? a.getTime() : a;
  const y = b instanceof Date ? b.getTime() : b;
  return x < y ? -1 : x > y ? 1 : 0;
}

export function compareRows(keys: readonly SortKeyDef[], a: KeyValue[], b: KeyValue[]): number {
  for (let i = 0; i < keys.length; i++) {
    const c = compareKeys(a[i], b[i]);
    if (c !== 0) return keys[i].desc ? -c : c;
  }
  return 0;
}

/**
 * Rows strictly after `last` in the order (or before, for a backwards page), for the collection of `type`:
 * OR over i of (keys before i equal AND key i beyond). Missing values (null) sort first ascending.
 */
export function keysetFilter<T extends Document = StoredDocument>(
  keys: readonly SortKeyDef[],
  last: KeyValue[],
  type: string,
  backwards: boolean,
): Filter<T> | undefined {
  const branches: Record<string, unknown>[] = [];
  const equal: Record<string, unknown>[] = [];
  const branch = (extra?: Record<string, unknown>) => {
    const all = extra ? [...equal, extra] : [...equal];
    branches.push(all.length === 1 ? all[0] : { $and: all });
  };
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const v = last[i];
    const up = k.desc === backwards; // rows after `v` have larger values in this key
    if (!k.field) {
      // The type key is constant within one collection: compare it here rather than in the query.
      const c = compareKeys(type, v);
      if (c === 0) continue;
      if (c > 0 === up) {
        if (!equal.length) return undefined; // every row of this collection comes after
        branch();
      }
      break;
    }
    if (up) branch(v === null ? { [k.field]: { $ne: null } } : { [k.field]: { $gt: v } });
    else if (v !== null) branch(k.required ? { [k.field]: { $lt: v } } : { $or: [{ [k.field]: { $lt: v } }, { [k.field]: null }] });
    equal.push({ [k.field]: v });
  }
  if (!branches.length) return { _id: { $in: [] } } as Filter<T>;
  if (branches.length === 1) return branches[0] as Filter<T>;
  return (withFirstKeyBound(keys[0], last[0], backwards, { $or: branches }) ?? { $or: branches }) as Filter<T>;
}

/**
 * Every branch implies the first key's bound; stated beside the $or, it lets a planner start the index scan at the
 * page instead of walking every earlier row again (which made deep pages cost O(rows before them)). Where rows
 * without a value come after the page (descending on an optional field), there is no bound to state.
 */
function withFirstKeyBound(first: SortKeyDef, value: KeyValue, backwards: boolean, branches: Document): Document | undefined {
  if (!first.field || value === null) return undefined;
  const up = first.desc === backwards;
  if (!up && !first.required) return undefined;
  return { $and: [{ [first.field]: up ? { $gte: value } : { $lte: value } }, branches] };
}

export interface PageToken {
  /** Key values of the row the page continues from. */
  keys: KeyValue[];
  /** True for a `prev` link: rows before `keys`. */
  backwards: boolean;
  /** State a pager keeps beside its position (`$everything`: the referenced resources already sent), opaque here. */
  state?: string;
}

/** The longest `state` a token carries: tokens travel in URLs. */
const MAX_STATE = 4096;

type EncodedKey = string | number | null | { d: number };

export function encodeToken(token: PageToken): string {
  const keys: EncodedKey[] = token.keys.map((k) => (k instanceof Date ? { d: k.getTime() } : k));
  return Buffer.from(JSON.stringify({ k: keys, b: token.backwards ? 1 : 0, ...(token.state ? { x: token.state } : {}) })).toString('base64url');
}

/** Only strings, finite numbers, null and dates come back out of a token: never an object a filter could misuse. */
export function decodeToken(raw: string, keyCount: number): PageToken {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw badRequest('_cursor is not a valid page token', '_cursor');
  }
  const p = parsed as { k?: unknown; b?: unknown; x?: unknown };
  const badState = p?.x !== undefined && (typeof p.x !== 'string' || p.x.length > MAX_STATE);
  if (!p || !Array.isArray(p.k) || p.k.length !== keyCount || (p.b !== 0 && p.b !== 1) || badState) {
    throw badRequest('_cursor does not belong to this search', '_cursor');
  }
  const keys = p.k.map((k: unknown): KeyValue => {
    if (k === null || typeof k === 'string') return k;
    if (typeof k === 'number' && Number.isFinite(k)) return k;
    const d = (k as { d?: unknown })?.d;
    if (k && typeof k === 'object' && Object.keys(k).length === 1 && typeof d === 'number' && Number.isFinite(d)) return new Date(d);
    throw badRequest('_cursor is not a valid page token', '_cursor');
  });
  return { keys, backwards: p.b === 1, ...(typeof p.x === 'string' ? { state: p.x } : {}) };
}
