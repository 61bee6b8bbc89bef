/**
 * Index key generation as MongoDB does it: one key per combination of array elements, where fields that cross
 * the *same* array take their values from the same element. So `{'arr.a': 1, 'arr.b': 1}` over
 * `arr: [{a: 1, b: 2}, {a: 3, b: 4}]` yields (1,2) and (3,4), never (1,4): that is what lets a compound multikey
 * index answer `{arr: {$elemMatch: {a: 1, b: 2}}}`. Two different arrays in one key are refused (MongoDB's
 * "cannot index parallel arrays").
 */
import { cannotIndexParallelArrays } from '../errors';
import { isPlainObject } from '../query/paths';

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

export function generateKeys(doc: unknown, fields: string[][], fieldNames: string[]): KeyGeneration {
  const fast = sharedArrayKeys(doc, fields);
  if (fast) return fast;
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

/**
 * The FHIR search layout's fast path (`{'s.e.p': 1, 's.e.v': 1}` over `s.e: [{p, v}, ...]`): every field is one
 * component below a common prefix that holds an array of plain objects with no nested arrays. Gives exactly what
 * `expand` gives for such documents, without its per-element state copies; undefined means "use expand".
 */
function sharedArrayKeys(doc: unknown, fields: string[][]): KeyGeneration | undefined {
  const first = fields[0];
  const depth = first.length - 1;
  if (fields.length < 2 || depth === 0) return undefined;
  for (const f of fields) {
    if (f.length !== first.length) return undefined;
    for (let i = 0; i < depth; i++) if (f[i] !== first[i]) return undefined;
  }
  let v: unknown = doc;
  for (let i = 0; i < depth; i++) {
    if (!isPlainObject(v)) return undefined;
    v = v[first[i]];
  }
  if (!Array.isArray(v) || v.length === 0) return undefined;
  const tuples: unknown[][] = [];
  for (const e of v) {
    if (!isPlainObject(e)) return undefined;
    const t: unknown[] = new Array(fields.length);
    for (let j = 0; j < fields.length; j++) {
      const x = e[fields[j][depth]];
      if (Array.isArray(x)) return undefined;
      t[j] = x === undefined ? null : x;
    }
    tuples.push(t);
  }
  return { tuples, arrayPrefixes: fields.map(() => [depth]) };
}
