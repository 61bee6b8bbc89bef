/**
 * Turns the indexable predicates of a filter into intervals over the ascending key encoding. Intervals are
 * supersets (inclusive, bracket-padded): the executor always re-checks documents against the full filter, so bounds
 * only have to never miss a match, and being tight is an optimisation.
 */
import { Rank, typeRank } from '../values/bson-order';
import { encodeKey, isBsonMinMax, stringPrefixRange, typeBracket } from '../values/key-encoding';
import { Doc } from './matcher';
import { isPlainObject } from './paths';

export interface Interval {
  lo: string;
  hi: string;
}

export interface PathBounds {
  path: string;
  intervals: Interval[];
  /** Every interval is a single point. */
  points: boolean;
  /** The `$elemMatch` this came from (same group = same array element), and that array's path depth. */
  group?: number;
  groupDepth?: number;
  /** The bound admits null/missing (so a sparse index cannot serve it). */
  matchesNull: boolean;
}

const NULL_KEY = encodeKey(null);

function point(v: unknown): Interval[] | undefined {
  if (Array.isArray(v) || isBsonMinMax(v)) return undefined;
  if (v instanceof RegExp || typeRank(v) === Rank.RegExp) return regexIntervals(v);
  const k = encodeKey(v);
  return [{ lo: k, hi: k }];
}

/** `/^abc/` (no i/m/x flags) -> the strings starting with abc; any other regex -> all strings. */
function regexIntervals(re: unknown, options?: unknown): Interval[] {
  let source: string;
  let flags: string;
  if (typeof re === 'string') [source, flags] = [re, typeof options === 'string' ? options : ''];
  else if (re instanceof RegExp) [source, flags] = [re.source, re.flags];
  else {
    const r = re as { pattern: string; options: string };
    [source, flags] = [r.pattern, typeof options === 'string' ? options : r.options];
  }
  const m = /^\^((?:[^\\.*+?^$()[\]{}|]|\\[.*+?^$()[\]{}|\\/-])*)/.exec(source);
  if (m && m[1].length > 0 && !/[imx]/.test(flags)) {
    const prefix = m[1].replace(/\\(.)/g, '$1');
    // A quantifier right after the literal prefix makes its last character optional.
    const next = source[m[0].length];
    const safe = next === '*' || next === '?' || next === '{' ? prefix.slice(0, -1) : prefix;
    if (safe.length > 0) {
      const [lo, hi] = stringPrefixRange(safe);
      return [{ lo, hi }];
    }
  }
  const [lo, hi] = typeBracket(Rank.String)!;
  return [{ lo, hi }];
}

function range(op: string, v: unknown): Interval[] | undefined {
  if (v === null || Array.isArray(v) || isPlainObject(v)) return undefined;
  const bracket = typeBracket(typeRank(v));
  if (!bracket) return undefined;
  const k = encodeKey(v);
  return op === '$gt' || op === '$gte' ? [{ lo: k, hi: bracket[1] }] : [{ lo: bracket[0], hi: k }];
}

export function normalise(intervals: Interval[]): Interval[] {
  const sorted = intervals.filter((i) => i.lo <= i.hi).sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && i.lo <= last.hi) {
      if (i.hi > last.hi) last.hi = i.hi;
    } else out.push({ ...i });
  }
  return out;
}

export function intersect(a: Interval[], b: Interval[]): Interval[] {
  const out: Interval[] = [];
  for (const x of a)
    for (const y of b) {
      const lo = x.lo > y.lo ? x.lo : y.lo;
      const hi = x.hi < y.hi ? x.hi : y.hi;
      if (lo <= hi) out.push({ lo, hi });
    }
  return normalise(out);
}

function isPoints(intervals: Interval[]): boolean {
  return intervals.every((i) => i.lo === i.hi);
}

function make(path: string, intervals: Interval[], group?: number, groupDepth?: number): PathBounds {
  const n = normalise(intervals);
  return { path, intervals: n, points: isPoints(n), group, groupDepth, matchesNull: n.some((i) => i.lo <= NULL_KEY && NULL_KEY <= i.hi) };
}

let groupCounter = 0;

/** Bounds for one path's condition; `$elemMatch` contributes bounds on sub-paths tagged with a group. */
function conditionBounds(path: string, spec: unknown, out: PathBounds[], group?: number, groupDepth?: number): void {
  if (!isPlainObject(spec) || !Object.keys(spec)[0]?.startsWith('$')) {
    const p = point(spec);
    if (p) out.push(make(path, p, group, groupDepth));
    return;
  }
  for (const [op, arg] of Object.entries(spec)) {
    let iv: Interval[] | undefined;
    switch (op) {
      case '$eq':
        iv = point(arg);
        break;
      case '$in':
        if (Array.isArray(arg) && arg.length > 0) {
          const parts = arg.map((a) => point(a));
          if (parts.every((p) => p !== undefined)) iv = parts.flat() as Interval[];
        }
        break;
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte':
        iv = range(op, arg);
        break;
      case '$regex':
        iv = regexIntervals(arg, spec.$options);
        break;
      case '$all':
        if (Array.isArray(arg) && arg.length > 0 && !isPlainObject(arg[0])) iv = point(arg[0]);
        break;
      case '$elemMatch': {
        if (!isPlainObject(arg)) break;
        const g = ++groupCounter;
        const depth = path.split('.').length;
        const keys = Object.keys(arg);
        if (keys.every((k) => k.startsWith('$'))) conditionBounds(path, arg, out, g, depth);
        else collectBounds(arg, out, `${path}.`, g, depth);
        break;
      }
      default:
        break;
    }
    if (iv) out.push(make(path, iv, group, groupDepth));
  }
}

/** Bounds of every indexable conjunct of a filter (top-level fields and `$and` clauses). */
export function collectBounds(filter: Doc, out: PathBounds[] = [], prefix = '', group?: number, groupDepth?: number): PathBounds[] {
  for (const [key, spec] of Object.entries(filter)) {
    if (key === '$and' && Array.isArray(spec)) {
      for (const clause of spec) if (isPlainObject(clause)) collectBounds(clause, out, prefix, group, groupDepth);
    } else if (!key.startsWith('$')) conditionBounds(prefix + key, spec, out, group, groupDepth);
  }
  return out;
}
