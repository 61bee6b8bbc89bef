/**
 * Chooses how to answer a query: `_id` point lookup, an index scan (possibly serving the sort), a union of index
 * scans for a top-level `$or`, or a collection scan. Plans are ranked by a heuristic (equality prefix length,
 * range, sort served, uniqueness) rather than MongoDB's trial runs; the explain output uses MongoDB's stage names
 * so tests read the same against a real server.
 */
import { badValue } from '../errors';
import { Doc } from './matcher';
import { isPlainObject } from './paths';
import { SortSpec } from './sort';
import { KEY_MAX_SUFFIX, complement, encodeKey } from '../values/key-encoding';
import { compareValues } from '../values/bson-order';
import type { KeyInterval, SecondaryIndex } from '../engine/secondary-index';
import { PathBounds, collectBounds, intersect } from './bounds';
import { ComponentFilter, componentTest } from '../values/key-components';

export interface IndexScan {
  index: SecondaryIndex;
  intervals: KeyInterval[];
  /** Bounds on fields the intervals do not cover, tested on each key before its document is fetched. */
  keyTest?: (key: string) => boolean;
  reverse: boolean;
  /** The scan order already satisfies the requested sort. */
  sortServed: boolean;
  score: number[];
}

export type Plan = { kind: 'id'; idKey: string } | { kind: 'scan'; scan: IndexScan } | { kind: 'or'; scans: IndexScan[] } | { kind: 'collscan' };

const MAX_POINT_PRODUCT = 4096;

/** Combines every bound on one path that may be intersected for this index, else keeps the most selective. */
function boundsForField(all: PathBounds[], path: string, index: SecondaryIndex, fieldNo: number): PathBounds | undefined {
  const mine = all.filter((b) => b.path === path);
  if (mine.length === 0) return undefined;
  if (mine.length === 1) return mine[0];
  const arrays = [...index.arrayPrefixes[fieldNo]];
  const g = mine[0].group;
  const canIntersect = arrays.length === 0 || (g !== undefined && mine.every((b) => b.group === g) && arrays.every((p) => p <= (mine[0].groupDepth ?? 0)));
  if (canIntersect) {
    const intervals = mine.slice(1).reduce((acc, b) => intersect(acc, b.intervals), mine[0].intervals);
    return { ...mine[0], intervals, points: intervals.every((i) => i.lo === i.hi), matchesNull: mine.every((b) => b.matchesNull) };
  }
  return mine.find((b) => b.points) ?? mine[0];
}

/** May bounds on field `i` be compounded with bounds already taken on earlier fields of a multikey index? */
function canCompound(index: SecondaryIndex, taken: Array<PathBounds | undefined>, i: number, b: PathBounds): boolean {
  const mine = index.arrayPrefixes[i];
  if (mine.size === 0) return true;
  const parts = index.fields[i].parts;
  for (let j = 0; j < i; j++) {
    const other = taken[j];
    if (!other) continue;
    const oParts = index.fields[j].parts;
    for (const p of mine) {
      const shares = index.arrayPrefixes[j].has(p) && parts.slice(0, p).join('.') === oParts.slice(0, p).join('.');
      if (shares && !(b.group !== undefined && b.group === other.group && p <= (b.groupDepth ?? 0))) return false;
    }
  }
  return true;
}

function fieldIntervals(b: PathBounds, desc: boolean): KeyInterval[] {
  if (!desc) return b.intervals;
  return b.intervals
    .map((i) => (i.lo === i.hi ? { lo: complement(i.lo), hi: complement(i.lo) } : { lo: complement(i.hi), hi: complement(i.lo) + KEY_MAX_SUFFIX }))
    .reverse();
}

function planIndex(index: SecondaryIndex, bounds: PathBounds[], sort: SortSpec, filter: Doc): IndexScan | undefined {
  if (index.partial && !impliesPartial(filter, index.spec.partialFilterExpression!)) return undefined;
  const taken: Array<PathBounds | undefined> = [];
  let prefixes = [''];
  let intervals: KeyInterval[] | undefined;
  let eqFields = 0;
  let singlePointFields = 0;
  let ranged = 0;
  let i = 0;
  // The intervals: equality fields, then at most one range (or the first field without bounds) ends them.
  for (; i < index.fields.length; i++) {
    const f = index.fields[i];
    const b = boundsForField(bounds, f.path, index, i);
    if (!b || !canCompound(index, taken, i, b)) break;
    if (i === 0 && index.sparse && b.matchesNull) return undefined;
    taken[i] = b;
    const fi = fieldIntervals(b, f.desc);
    if (b.points && prefixes.length * fi.length <= MAX_POINT_PRODUCT) {
      prefixes = prefixes.flatMap((p) => fi.map((x) => p + x.lo));
      eqFields++;
      if (fi.length === 1 && singlePointFields === i) singlePointFields++;
      continue;
    }
    intervals = prefixes.flatMap((p) => fi.map((x) => ({ lo: p + x.lo, hi: p + x.hi + KEY_MAX_SUFFIX })));
    ranged = 1;
    i++;
    break;
  }
  if (taken.length === 0) {
    // No bounds: only worth it to serve the sort, and only if every document is in the index.
    if (index.sparse || index.partial) return undefined;
    intervals = [{ lo: '', hi: KEY_MAX_SUFFIX }];
  }
  if (!intervals) {
    const complete = eqFields === index.fields.length;
    intervals = prefixes.map((p) => ({ lo: p, hi: complete ? p : p + KEY_MAX_SUFFIX }));
  }
  // Bounds on the remaining fields cannot narrow the intervals, but they can filter keys before any fetch.
  const filters: ComponentFilter[] = [];
  for (; i < index.fields.length && taken.length > 0; i++) {
    const b = boundsForField(bounds, index.fields[i].path, index, i);
    if (!b || !canCompound(index, taken, i, b)) continue;
    taken[i] = b;
    filters.push({ field: i, intervals: fieldIntervals(b, index.fields[i].desc) });
  }
  const keyTest =
    filters.length > 0
      ? componentTest(
          filters,
          index.fields.map((f) => f.desc),
        )
      : undefined;
  const served = sortServedBy(index, sort, singlePointFields);
  const unique = index.unique && eqFields === index.fields.length ? 1 : 0;
  const score = [taken.length === 0 ? 0 : 1, eqFields, ranged, filters.length, served === undefined ? 0 : 1, unique, -index.fields.length];
  return { index, intervals, keyTest, reverse: served === 'reverse', sortServed: served !== undefined, score };
}

/** 'forward'/'reverse' if scanning the index yields documents in `sort` order, else undefined. */
function sortServedBy(index: SecondaryIndex, sort: SortSpec, singlePointFields: number): 'forward' | 'reverse' | undefined {
  if (sort.length === 0) return 'forward';
  for (let s = 0; s <= singlePointFields; s++) {
    if (s + sort.length > index.fields.length) break;
    let dir: 'forward' | 'reverse' | undefined;
    let ok = true;
    for (let j = 0; j < sort.length && ok; j++) {
      const f = index.fields[s + j];
      if (f.path !== sort[j][0] || index.arrayPrefixes[s + j].size > 0) ok = false;
      else {
        const d = (sort[j][1] === -1) === f.desc ? 'forward' : 'reverse';
        if (dir === undefined) dir = d;
        else if (dir !== d) ok = false;
      }
    }
    if (ok) return dir;
  }
  return undefined;
}

/** True when every document the filter matches satisfies the partial filter (simple syntactic implication). */
function impliesPartial(filter: Doc, partial: Doc): boolean {
  const conjuncts: Doc[] = [filter];
  if (Array.isArray(filter.$and)) conjuncts.push(...(filter.$and as Doc[]));
  return Object.entries(partial).every(([k, cond]) =>
    conjuncts.some((c) => {
      if (!(k in c)) return false;
      const q = c[k];
      if (compareValues(q, cond) === 0) return true;
      if (isPlainObject(cond) && cond.$exists === true && Object.keys(cond).length === 1) {
        return q !== null && !(isPlainObject(q) && (('$exists' in q && q.$exists !== true) || '$ne' in q || '$nin' in q || '$not' in q || q.$eq === null));
      }
      return false;
    }),
  );
}

function better(a: IndexScan, b: IndexScan): boolean {
  for (let i = 0; i < a.score.length; i++) if (a.score[i] !== b.score[i]) return a.score[i] > b.score[i];
  return false;
}

function bestScan(indexes: Iterable<SecondaryIndex>, filter: Doc, sort: SortSpec, requireBounds: boolean, hint?: unknown): IndexScan | undefined {
  const bounds = collectBounds(filter);
  const candidates: IndexScan[] = [];
  for (const index of indexes) {
    if (hint !== undefined && !matchesHint(index, hint)) continue;
    const scan = planIndex(index, bounds, sort, filter);
    if (!scan) continue;
    if (requireBounds && scan.score[0] === 0) continue;
    if (scan.score[0] === 0 && (sort.length === 0 || !scan.sortServed) && hint === undefined) continue;
    candidates.push(scan);
  }
  candidates.sort((a, b) => (better(a, b) ? -1 : better(b, a) ? 1 : 0));
  return hint === undefined ? cheapest(candidates) : candidates[0];
}

/** Estimated work of a scan: keys read, plus documents fetched (the keys that pass its key test) weighted. */
const FETCH_COST = 5;
/** Work after which an estimate stops counting: beyond it, the heuristic ranking decides. */
const ESTIMATE_CAP = 400;

function estimate(scan: IndexScan, cap: number): number {
  let cost = 0;
  for (const [key] of scan.index.scanEntries(scan.intervals, false)) {
    cost += scan.keyTest === undefined || scan.keyTest(key) ? 1 + FETCH_COST : 1;
    if (cost > cap) return Number.POSITIVE_INFINITY;
  }
  return cost;
}

/**
 * Among bounded candidates (ranked best first by the heuristic), the one whose scan does the least work, counted
 * on the index itself: MongoDB races candidate plans for the same reason. Each count stops at the best so far, so a
 * selective plan makes the others cheap to rule out; when every count overflows the cap, the ranking stands.
 */
function cheapest(ranked: IndexScan[]): IndexScan | undefined {
  let best = ranked[0];
  if (ranked.length < 2 || best.score[0] === 0) return best;
  let bestCost = estimate(best, ESTIMATE_CAP);
  for (let i = 1; i < ranked.length && bestCost > 1 + FETCH_COST; i++) {
    if (ranked[i].score[0] === 0) continue;
    const cost = estimate(ranked[i], Math.min(bestCost, ESTIMATE_CAP));
    if (cost < bestCost) {
      best = ranked[i];
      bestCost = cost;
    }
  }
  return best;
}

function matchesHint(index: SecondaryIndex, hint: unknown): boolean {
  if (typeof hint === 'string') return index.name === hint;
  return isPlainObject(hint) && compareValues(hint, index.spec.key) === 0;
}

/** Candidates a bounded scan may yield before a sort-serving scan with a limit is preferred over it. */
const TRIAL_BASE = 2000;

/** True when the scan's intervals hold more than `cap` entries (counted lazily, stopping at the cap). */
function exceeds(scan: IndexScan, cap: number): boolean {
  let n = 0;
  for (const _ of scan.index.scan(scan.intervals, false)) if (++n > cap) return true;
  return false;
}

/**
 * With a sort and a small limit, a bounded scan over many entries followed by a blocking sort loses to walking an
 * index in sort order and stopping at the limit (MongoDB's trial runs pick the same). Decided by counting.
 */
function preferSortedScan(indexes: Map<string, SecondaryIndex>, filter: Doc, sort: SortSpec, bounded: IndexScan, limit: number): IndexScan | undefined {
  if (sort.length === 0 || limit <= 0 || bounded.sortServed) return undefined;
  const sorted = bestScan(
    [...indexes.values()].filter((i) => i !== bounded.index),
    filter,
    sort,
    false,
  );
  if (!sorted || !sorted.sortServed) return undefined;
  return exceeds(bounded, TRIAL_BASE + 10 * limit) ? sorted : undefined;
}

export function planQuery(indexes: Map<string, SecondaryIndex>, filter: Doc, sort: SortSpec, hint?: unknown, limit = 0): Plan {
  if (hint === undefined) {
    const id = filter._id;
    if (id !== undefined && Object.keys(filter).length === 1 && !isPlainObject(id) && !Array.isArray(id) && !(id instanceof RegExp)) {
      return { kind: 'id', idKey: encodeKey(id) };
    }
  } else if (isPlainObject(hint) && hint.$natural !== undefined) return { kind: 'collscan' };
  if (hint !== undefined && ![...indexes.values()].some((i) => matchesHint(i, hint))) {
    throw badValue('error processing query: planner returned error :: caused by :: hint provided does not correspond to an existing index');
  }
  const scan = bestScan(indexes.values(), filter, sort, false, hint);
  if (scan && scan.score[0] === 1) {
    const sorted = hint === undefined ? preferSortedScan(indexes, filter, sort, scan, limit) : undefined;
    return { kind: 'scan', scan: sorted ?? scan };
  }
  const or = filter.$or;
  if (Array.isArray(or) && or.length > 1 && hint === undefined) {
    const scans = or.map((branch) => (isPlainObject(branch) ? bestScan(indexes.values(), branch, [], true) : undefined));
    if (scans.every((s) => s !== undefined)) return { kind: 'or', scans: scans as IndexScan[] };
  }
  if (scan) return { kind: 'scan', scan };
  return { kind: 'collscan' };
}
