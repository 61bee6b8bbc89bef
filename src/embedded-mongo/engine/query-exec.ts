/** Runs a planned query over a collection as seen by a snapshot (plus a transaction's own writes). */
import { Doc, compileFilter } from '../query/matcher';
import { IndexScan, Plan, planQuery } from '../query/planner';
import { SortSpec, sortDocuments } from '../query/sort';
import type { Collection } from './collection';

export interface ReadView {
  snapshotTs: number;
  /** A transaction's uncommitted writes to this collection (null = deleted). */
  overlay?: Map<string, Doc | null>;
}

export const LATEST: ReadView = { snapshotTs: Number.POSITIVE_INFINITY };

export interface QuerySpec {
  filter: Doc;
  sort?: SortSpec;
  skip?: number;
  /** 0 or undefined = no limit. */
  limit?: number;
  hint?: unknown;
}

export interface QueryResult {
  docs: Doc[];
  plan: Plan;
  /** Documents examined (fetched and tested), for explain and tests. */
  examined: number;
}

/** Ids of a scan's entries whose keys pass its key test. */
function* scanIds(scan: IndexScan, reverse: boolean): Generator<string> {
  const test = scan.keyTest;
  if (test === undefined) {
    yield* scan.index.scan(scan.intervals, reverse);
    return;
  }
  for (const [key, id] of scan.index.scanEntries(scan.intervals, reverse)) if (test(key)) yield id;
}

function* candidateIds(coll: Collection, plan: Plan): Generator<string> {
  switch (plan.kind) {
    case 'id':
      yield plan.idKey;
      return;
    case 'scan':
      yield* scanIds(plan.scan, plan.scan.reverse);
      return;
    case 'or':
      for (const s of plan.scans) yield* scanIds(s, false);
      return;
    default:
      yield* coll.versions.keys();
  }
}

export function runQuery(coll: Collection | undefined, view: ReadView, spec: QuerySpec): QueryResult {
  const sort = spec.sort ?? [];
  if (!coll) return { docs: [], plan: { kind: 'collscan' }, examined: 0 };
  const plan = planQuery(coll.indexes, spec.filter, sort, spec.hint, spec.limit ? (spec.skip ?? 0) + spec.limit : 0);
  const test = compileFilter(spec.filter);
  const overlay = view.overlay && view.overlay.size > 0 ? view.overlay : undefined;
  const sortDone = sort.length === 0 || (plan.kind === 'scan' && plan.scan.sortServed && !overlay);
  const skip = spec.skip ?? 0;
  const wanted = spec.limit ? skip + spec.limit : Number.POSITIVE_INFINITY;
  // Index scans can meet an id twice (multikey entries, entries of retained old versions).
  const dedupe = plan.kind === 'scan' || plan.kind === 'or';
  const seen = new Set<string>();
  const docs: Doc[] = [];
  let examined = 0;
  const consider = (id: string): boolean => {
    if (dedupe) {
      if (seen.has(id)) return true;
      seen.add(id);
    }
    const doc = overlay?.has(id) ? overlay.get(id)! : coll.visible(id, view.snapshotTs);
    if (doc === null) return true;
    examined++;
    if (test(doc)) docs.push(doc);
    return !(sortDone && docs.length >= wanted);
  };
  let going = true;
  if (plan.kind === 'scan' && sortDone && sort.length > 0 && coll.retainedVersions > 0) {
    // Entries of superseded versions are still in the index: taking a document at such an entry would put it at
    // its old sort position. Only entries the visible version really has count.
    const index = plan.scan.index;
    const keyTest = plan.scan.keyTest;
    for (const [key, id] of index.scanEntries(plan.scan.intervals, plan.scan.reverse)) {
      if (keyTest !== undefined && !keyTest(key)) continue;
      const doc = coll.visible(id, view.snapshotTs);
      if (doc === null || !index.keysOf(doc).includes(key)) continue;
      if (!(going = consider(id))) break;
    }
  } else for (const id of candidateIds(coll, plan)) if (!(going = consider(id))) break;
  // An _id lookup already consulted the overlay for its one id.
  if (going && overlay && plan.kind !== 'id') {
    for (const id of overlay.keys()) {
      const done = dedupe ? seen.has(id) : coll.versions.has(id);
      if (!done && !consider(id)) break;
    }
  }
  const ordered = sortDone ? docs : sortDocuments(docs, sort);
  const end = Number.isFinite(wanted) ? wanted : ordered.length;
  return { docs: skip > 0 || end < ordered.length ? ordered.slice(skip, end) : ordered, plan, examined };
}
