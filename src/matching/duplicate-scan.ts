import type { Parameters, Patient } from 'fhir/r4';
import { LRUCache } from 'lru-cache';
import type { Repository } from '../store/repository';
import { blocksOf, untraced } from './candidates';
import { candidatesFrom } from './blocks';
import { withAnyKey } from './index-entries';
import type { Comparison, Matcher, MatchFeatures } from '.';

/**
 * `$find-duplicates` as a resumable function: every pair of Patients (that the caller may see) sharing a blocking
 * key, compared once, each pair scoring at least the threshold yielded as an output line. Patients are taken in
 * `_id` order, a page at a time; one indexed query reads every Patient sharing a key with the page (the page's
 * blocks, whole), and each page Patient is compared with the members of its blocks above it in that order, so a
 * pair is met once, from its lower id. The state after a page (the last id done) is all a resumed job needs.
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

/** A page's blocks holding more Patients than this (all together) mean some key is too common: checked key by key. */
const MAX_PAGE_BLOCKS = 20_000;

export async function* scanDuplicates(repo: Repository, matcher: Matcher, plan: DuplicatesPlan, start: DuplicatesState, opts: ScanOptions = {}): AsyncGenerator<ScanEvent> {
  const quiet = untraced(repo);
  const pageSize = opts.pageSize ?? 500;
  const max = matcher.config.maxBlockSize;
  // A Patient met in one page's blocks is often met again in the next pages': parsed once per version.
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

  /** Every Patient sharing one of `keys`, by id: undefined when there are more than MAX_PAGE_BLOCKS. */
  const membersOf = async (keys: Set<string>): Promise<Map<string, Known> | undefined> => {
    const members = new Map<string, Known>();
    if (!keys.size) return members;
    for await (const d of quiet.find('Patient', withAnyKey([...keys]), { projection: { r: 1, vid: 1 }, limit: MAX_PAGE_BLOCKS + 1 })) members.set(d._id, know(d));
    return members.size > MAX_PAGE_BLOCKS ? undefined : members;
  };

  for (;;) {
    opts.signal?.throwIfAborted();
    const page: Array<{ id: string } & Known> = [];
    const filter = state.after === undefined ? {} : { _id: { $gt: state.after } };
    for await (const d of quiet.find('Patient', filter, { sort: { _id: 1 }, limit: pageSize, projection: { r: 1, vid: 1 } })) page.push({ id: d._id, ...know(d) });
    if (!page.length) return;
    const keysOfPage = () => new Set(page.flatMap((p) => p.keys.filter((k) => !tooCommon.has(k))));
    let members = await membersOf(keysOfPage());
    if (!members) {
      // Rare: a placeholder value shared by thousands. Found once, then left out of every later query.
      for (const [k, block] of await blocksOf(quiet, [...keysOfPage()], max)) if (block.length > max) tooCommon.add(k);
      members = (await membersOf(keysOfPage())) ?? new Map<string, Known>();
    }
    const pageKeys = keysOfPage();
    const blocks = new Map<string, string[]>();
    for (const [id, m] of members) for (const k of m.keys) if (pageKeys.has(k)) blocks.set(k, [...(blocks.get(k) ?? []), id]);
    for (const [k, block] of blocks) if (block.length > max) tooCommon.add(k);
    for (const p of page) {
      for (const other of [...candidatesFrom(p.keys, (k) => blocks.get(k), { after: p.id, maxBlockSize: max })].sort()) {
        const c = matcher.compare(p.f, (members.get(other) as Known).f);
        if (c.score < plan.threshold) continue;
        state.pairs++;
        yield { line: duplicateLine(p.id, other, c) };
      }
    }
    state.after = page[page.length - 1].id;
    state.patients += page.length;
    yield { checkpoint: { ...state } };
  }
}
