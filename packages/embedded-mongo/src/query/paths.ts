/** Dotted-path traversal with MongoDB's implicit array semantics, shared by matching, sorting and indexing. */
import { LRUCache } from 'lru-cache';

/** Marks a path that ends nowhere (missing field, or traversal through a scalar). */
export const MISSING: unique symbol = Symbol('missing');
export type Found = unknown | typeof MISSING;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  // Decoded documents are object literals: deciding by prototype avoids a `_bsontype` lookup, which is slow on the
  // many object shapes the engine sees (bson's classes define `_bsontype` on their prototypes, not here).
  const proto = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) return true;
  if (Array.isArray(v) || v instanceof Date || v instanceof RegExp) return false;
  return (v as { _bsontype?: string })._bsontype === undefined;
}

const splitCache = new LRUCache<string, string[]>({ max: 10_000 });
export function splitPath(path: string): string[] {
  let parts = splitCache.get(path);
  if (parts === undefined) {
    parts = path.split('.');
    splitCache.set(path, parts);
  }
  return parts;
}

function isIndex(s: string): boolean {
  return s.length > 0 && s.length < 10 && /^\d+$/.test(s);
}

/**
 * Every value the path reaches. Arrays met before the end are traversed element by element; an object element
 * lacking the next field contributes MISSING (so `{'a.b': null}` matches an array where one element lacks `b`,
 * as MongoDB does), scalar elements contribute nothing, so an empty array or an array of scalars yields no value
 * at all (and `{'a.b': null}` does not match it). A value reached at the end is returned as is, arrays included:
 * leaf predicates look inside leaf arrays themselves.
 */
export function collectValues(doc: unknown, parts: string[]): Found[] {
  const out: Found[] = [];
  walk(doc, parts, 0, out);
  return out;
}

function walk(value: unknown, parts: string[], i: number, out: Found[]): void {
  if (i === parts.length) {
    out.push(value);
    return;
  }
  const key = parts[i];
  if (Array.isArray(value)) {
    if (isIndex(key)) {
      const idx = Number(key);
      if (idx < value.length) walk(value[idx], parts, i + 1, out);
      // A numeric component can also name a field of the elements.
      for (const e of value) if (isPlainObject(e) && key in e) walk(e[key], parts, i + 1, out);
      return;
    }
    for (const e of value) {
      if (isPlainObject(e)) {
        const v = e[key];
        if (v === undefined) out.push(MISSING);
        else walk(v, parts, i + 1, out);
      }
    }
    return;
  }
  if (isPlainObject(value)) {
    const v = value[key];
    if (v === undefined) out.push(MISSING);
    else walk(v, parts, i + 1, out);
    return;
  }
  out.push(MISSING);
}

/** The plain (non-array-expanding) value at a path, for projection and update targets. */
export function getPath(doc: unknown, parts: string[]): unknown {
  let v: unknown = doc;
  for (const p of parts) {
    if (Array.isArray(v) && isIndex(p)) v = v[Number(p)];
    else if (isPlainObject(v)) v = v[p];
    else return undefined;
    if (v === undefined) return undefined;
  }
  return v;
}

/** Sets a value at a path, creating intermediate objects (used for upsert seeds and projections). */
export function setPath(doc: Record<string, unknown>, parts: string[], value: unknown): void {
  let cur: Record<string, unknown> = doc;
  for (let i = 0; i < parts.length - 1; i++) {
    let next = cur[parts[i]];
    if (!isPlainObject(next) && !Array.isArray(next)) {
      next = {};
      cur[parts[i]] = next;
    }
    cur = next as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]] = value;
}
