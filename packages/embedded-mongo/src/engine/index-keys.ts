/**
 * Index key generation as MongoDB does it: one key per combination of array elements, where fields that cross
 * the *same* array take their values from the same element. So `{'arr.a': 1, 'arr.b': 1}` over
 * `arr: [{a: 1, b: 2}, {a: 3, b: 4}]` yields (1,2) and (3,4), never (1,4): that is what lets a compound multikey
 * index answer `{arr: {$elemMatch: {a: 1, b: 2}}}`. Two different arrays in one key are refused (MongoDB's
 * "cannot index parallel arrays").
 */
import { cannotIndexParallelArrays } from '../errors';
import { isPlainObject } from '../query/paths';
import { encodeComponent } from '../values/key-encoding';

interface PathState {
  v: unknown;
  pos: number;
  done: boolean;
}

export interface KeyGeneration {
  tuples: unknown[][];
  /** Per field, the path prefix lengths at which an array was crossed (empty when not multikey). */
  arrayPrefixes: number[][];
}

/** The general algorithm: value tuples of every key (not deduplicated) and the array prefixes crossed. */
export function generateKeys(doc: unknown, fields: string[][], fieldNames: string[]): KeyGeneration {
  const arrayPrefixes: number[][] = fields.map(() => []);
  const tuples: unknown[][] = [];
  expand(
    fields.map(() => ({ v: doc, pos: 0, done: false })),
    fields,
    fieldNames,
    arrayPrefixes,
    tuples,
  );
  return { tuples, arrayPrefixes };
}

function advance(s: PathState, parts: string[]): void {
  while (!s.done && !Array.isArray(s.v)) {
    if (s.pos === parts.length) {
      s.done = true;
      return;
    }
    if (!isPlainObject(s.v)) {
      s.v = null;
      s.done = true;
      return;
    }
    const next = s.v[parts[s.pos]];
    s.pos++;
    if (next === undefined) {
      s.v = null;
      s.done = true;
      return;
    }
    s.v = next;
  }
}

function expand(states: PathState[], fields: string[][], names: string[], prefixes: number[][], out: unknown[][]): void {
  let array: unknown[] | undefined;
  for (let j = 0; j < states.length; j++) {
    advance(states[j], fields[j]);
    if (!states[j].done) {
      const a = states[j].v as unknown[];
      if (array !== undefined && a !== array) {
        throw cannotIndexParallelArrays(`cannot index parallel arrays [${names[j]}] [${names[states.findIndex((s) => s.v === array)]}]`);
      }
      array = a;
    }
  }
  if (array === undefined) {
    out.push(states.map((s) => s.v));
    return;
  }
  const elements = array.length === 0 ? [undefined] : array;
  for (const e of elements) {
    const next = states.map((s, j) => {
      if (s.done || s.v !== array) return s;
      if (!prefixes[j].includes(s.pos)) prefixes[j].push(s.pos);
      if (s.pos === fields[j].length) return { v: e === undefined ? null : e, pos: s.pos, done: true };
      // A nested array is not traversed implicitly (MongoDB does not either): the path ends there.
      if (Array.isArray(e)) return { v: null, pos: s.pos, done: true };
      return { v: e, pos: s.pos, done: false };
    });
    expand(next, fields, names, prefixes, out);
  }
}

export interface KeyField {
  parts: string[];
  desc: boolean;
}

/** Encoded, deduplicated keys of a document; records the array prefixes it crossed in `prefixes`. */
export type KeyMaker = (doc: unknown, prefixes: Set<number>[]) => string[];

/**
 * Compiles an index's key function. Two shapes cover nearly every key the server writes and skip the general
 * algorithm's per-element state copies and intermediate tuples: the FHIR search layout (every field one component
 * below a common array of entries, `{'s.e.p': 1, 's.e.v': 1}`), and fields that cross no array except, for one
 * field, at its end (`{c: 1, _id: 1}`, `{lu: -1, _id: 1}`). Anything else, or a document that does not fit the
 * shape (a nested array, a scalar among the entries), takes the general path; both give the same keys.
 */
export function keyMaker(fields: KeyField[], names: string[]): KeyMaker {
  const paths = fields.map((f) => f.parts);
  const desc = fields.map((f) => f.desc);
  const general: KeyMaker = (doc, prefixes) => {
    const { tuples, arrayPrefixes } = generateKeys(doc, paths, names);
    arrayPrefixes.forEach((ps, j) => ps.forEach((p) => prefixes[j].add(p)));
    return dedupe(tuples.map((t) => encodeTuple(t, desc)));
  };
  const shared = sharedArrayDepth(paths);
  if (shared > 0) {
    const fast = sharedArrayMaker(paths, desc, shared);
    return (doc, prefixes) => fast(doc, prefixes) ?? general(doc, prefixes);
  }
  const fast = leafArrayMaker(paths, desc);
  return (doc, prefixes) => fast(doc, prefixes) ?? general(doc, prefixes);
}

function encodeTuple(t: unknown[], desc: boolean[]): string {
  let k = '';
  for (let j = 0; j < t.length; j++) k += encodeComponent(t[j], desc[j]);
  return k;
}

function dedupe(keys: string[]): string[] {
  return keys.length < 2 ? keys : [...new Set(keys)];
}

/** Depth of the array prefix all fields share when each is one component below it (at least two fields), else 0. */
function sharedArrayDepth(paths: string[][]): number {
  const first = paths[0];
  const depth = first.length - 1;
  if (paths.length < 2 || depth === 0) return 0;
  for (const f of paths) {
    if (f.length !== first.length) return 0;
    for (let i = 0; i < depth; i++) if (f[i] !== first[i]) return 0;
  }
  return depth;
}

/** The search layout: one key per entry, fields taken from the same entry. Undefined = not this shape. */
function sharedArrayMaker(paths: string[][], desc: boolean[], depth: number) {
  const prefix = paths[0].slice(0, depth);
  const leaves = paths.map((p) => p[depth]);
  const n = leaves.length;
  return (doc: unknown, prefixes: Set<number>[]): string[] | undefined => {
    let v: unknown = doc;
    for (let i = 0; i < depth; i++) {
      if (!isPlainObject(v)) return undefined;
      v = v[prefix[i]];
    }
    if (!Array.isArray(v) || v.length === 0) return undefined;
    const keys: string[] = new Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const e = v[i];
      if (!isPlainObject(e)) return undefined;
      let k = '';
      for (let j = 0; j < n; j++) {
        const x = e[leaves[j]];
        if (Array.isArray(x)) return undefined;
        k += encodeComponent(x === undefined ? null : x, desc[j]);
      }
      keys[i] = k;
    }
    for (let j = 0; j < n; j++) prefixes[j].add(depth);
    return dedupe(keys);
  };
}

/**
 * Fields that reach their value without crossing an array; at most one may end at an array, which gives one key
 * per element (an empty array gives one null key). Undefined = not this shape.
 */
function leafArrayMaker(paths: string[][], desc: boolean[]) {
  const n = paths.length;
  const values: unknown[] = new Array(n);
  return (doc: unknown, prefixes: Set<number>[]): string[] | undefined => {
    let arrayField = -1;
    for (let j = 0; j < n; j++) {
      const parts = paths[j];
      let v: unknown = doc;
      for (let i = 0; i < parts.length; i++) {
        if (!isPlainObject(v)) {
          if (Array.isArray(v)) return undefined;
          v = null;
          break;
        }
        v = v[parts[i]];
        if (v === undefined) {
          v = null;
          break;
        }
      }
      if (Array.isArray(v)) {
        if (arrayField >= 0) return undefined;
        arrayField = j;
      }
      values[j] = v;
    }
    if (arrayField < 0) return [encodeTuple(values, desc)];
    let before = '';
    for (let j = 0; j < arrayField; j++) before += encodeComponent(values[j], desc[j]);
    let after = '';
    for (let j = arrayField + 1; j < n; j++) after += encodeComponent(values[j], desc[j]);
    const array = values[arrayField] as unknown[];
    prefixes[arrayField].add(paths[arrayField].length);
    if (array.length === 0) return [before + encodeComponent(null, desc[arrayField]) + after];
    const keys: string[] = new Array(array.length);
    for (let i = 0; i < array.length; i++) {
      const e = array[i];
      keys[i] = before + encodeComponent(e === undefined ? null : e, desc[arrayField]) + after;
    }
    return dedupe(keys);
  };
}
