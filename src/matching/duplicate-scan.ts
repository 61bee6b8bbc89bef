import type { Parameters, Patient } from 'fhir/r4';
import { LRUCache } from 'lru-cache';
import type { Repository } from '../store/repository';
import { blocksOf, untraced } from './candidates';
import { withAnyKey } from './index-entries';
import type { Comparison, Matcher, MatchFeatures } from '.';

/**
 * `$find-duplicates` as a resumable function: every pair of Patients (that the caller may see) sharing a blocking
 * key, compared once, each pair scoring at least the threshold yielded as an output line. Patients are taken in
 * `_id` order, a page at a time, and for each group of them one indexed query reads the Patients sharing one of
 * their keys; each is compared with those above it in id order, so a pair is met once, from its lower id.
 * The state after a page (the last id done) is all a resumed job needs.
 */

export interface DuplicatesPlan {
  /** Lowest score written. */
  threshold: number;
}

export interface DuplicatesState {
  /** The last Patient id whose pairs are all written; absent before the first page. */
  after?: string;
  patients: number;
  pairs: number;
}

export type ScanEvent = { line: Parameters } | { checkpoint: DuplicatesState };

export interface ScanOptions {
  /** Patients per page (default 500): a page's lines come before its checkpoint. */
  pageSize?: number;
  signal?: AbortSignal;
}

/** One output line: a pair, its score and grade, and the fields behind them. */
export function duplicateLine(patient: string, candidate: string, c: Comparison): Parameters {
  return {
    resourceType: 'Parameters',
    parameter: [
      { name: 'patient', valueReference: { reference: `Patient/${patient}` } },
      { name: 'candidate', valueReference: { reference: `Patient/${candidate}` } },
      { name: 'score', valueDecimal: c.score },
      { name: 'grade', valueCode: c.grade },
      ...c.agrees.map((f) => ({ name: 'agrees', valueString: f })),
      ...c.differs.map((f) => ({ name: 'differs', valueString: f })),
    ],
  };
}

/** What the scan knows of one Patient version: its features and blocking keys. */
interface Known {
  f: MatchFeatures;
  keys: string[];
}

/** Patients whose candidates one query reads (a `$or` of one indexed branch each). */
const GROUP = 50;

export async function* scanDuplicates(
  repo: Repository,
  matcher: Matcher,
  plan: DuplicatesPlan,
  start: DuplicatesState,
  opts: ScanOptions = {},
): AsyncGenerator<ScanEvent> {
  const quiet = untraced(repo);
  const pageSize = opts.pageSize ?? 500;
  const max = matcher.config.maxBlockSize;
  // A Patient met as a candidate is often met again by the next Patients: parsed once per version.
  const seen = new LRUCache<string, Known>({ max: 20_000 });
  const know = (d: { _id: string; vid: number; r: string }): Known => {
    const key = `${d._id}/${d.vid}`;
    let k = seen.get(key);
    if (!k) {
      const f = matcher.features(JSON.parse(d.r) as Patient);
      seen.set(key, (k = { f, keys: matcher.keys(f) }));
    }
    return k;
  };
  /** Keys found to be too common: left out of later queries (found again after a resume). */
  const tooCommon = new Set<string>();
  const state = { ...start };
  const usable = (keys: readonly string[]) => keys.filter((k) => !tooCommon.has(k));

  /**
   * The Patients sharing a key with one of `group`: one query on the group's keys, served by the search_value index;
   * each Patient is then compared with those above it (the loop below). Not a branch per Patient with its id as a
   * lower bound: on that `$or` the engine's planner walked the _id index from each bound, every Patient above the
   * group's, and on 100,800 Patients one such query held the engine's thread past the driver's 30 s monitor
   * timeout, which interrupts every connection in use and failed the job. A key shared by more than maxBlockSize
   * Patients is too common: left out, and the query asked again; so is every key of the group when the answer
   * passes `group.length * max` (their blocks counted).
   */
  const candidatesOf = async (group: ReadonlyArray<{ id: string } & Known>): Promise<Map<string, Known>> => {
    let counted = false;
    for (;;) {
      const groupKeys = new Set(group.flatMap((p) => usable(p.keys)));
      const found = new Map<string, Known>();
      if (!groupKeys.size) return found;
      // Past the limit once a count of the blocks found no too common key: every block is legitimately large.
      const limit = counted ? undefined : group.length * max;
      for await (const d of quiet.find('Patient', withAnyKey([...groupKeys]), { projection: { r: 1, vid: 1 }, ...(limit ? { limit: limit + 1 } : {}) }))
        found.set(d._id, know(d));
      if (limit !== undefined && found.size > limit) {
        const before = tooCommon.size;
        for (const [k, block] of await blocksOf(quiet, [...groupKeys], max)) if (block.length > max) tooCommon.add(k);
        counted = tooCommon.size === before;
        continue;
      }
      const shared = new Map<string, number>();
      for (const c of found.values()) for (const k of c.keys) if (groupKeys.has(k)) shared.set(k, (shared.get(k) ?? 0) + 1);
      const over = [...shared].filter(([, n]) => n > max);
      if (!over.length) return found;
      for (const [k] of over) tooCommon.add(k);
    }
  };

  for (;;) {
    opts.signal?.throwIfAborted();
    const page: Array<{ id: string } & Known> = [];
    const filter = state.after === undefined ? {} : { _id: { $gt: state.after } };
    for await (const d of quiet.find('Patient', filter, { sort: { _id: 1 }, limit: pageSize, projection: { r: 1, vid: 1 } })) page.push({ id: d._id, ...know(d) });
    if (!page.length) return;
    for (let i = 0; i < page.length; i += GROUP) {
      const group = page.slice(i, i + GROUP);
      // In id order once for the group (up to group.length * maxBlockSize of them), not once per Patient.
      const candidates = [...(await candidatesOf(group))].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      for (const p of group) {
        const keys = new Set(usable(p.keys));
        for (const [id, c] of candidates) {
          if (id <= p.id || !c.keys.some((k) => keys.has(k))) continue;
          const comparison = matcher.compare(p.f, c.f);
          if (comparison.score < plan.threshold) continue;
          state.pairs++;
          yield { line: duplicateLine(p.id, id, comparison) };
        }
      }
    }
    state.after = page[page.length - 1].id;
    state.patients += page.length;
    yield { checkpoint: { ...state } };
  }
}
