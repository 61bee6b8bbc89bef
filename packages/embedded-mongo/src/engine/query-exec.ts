/** Runs a planned query over a collection as seen by a snapshot (plus a transaction's own writes). */
import { Doc, compileFilter } from '../query/matcher';
import { IndexScan, Plan, planQuery } from '../query/planner';
import { SortSpec, sortDocuments } from '../query/sort';
import type { ReadTxn } from '../storage/store';
import type { Collection } from './collection';

export interface ReadView {
  snapshotTs: number;
  /** The transaction's snapshot of the store; undefined: the latest committed state. */
  txn?: ReadTxn;
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
  /**
   * The documents are answered to a client (a find): those read from the store keep their BSON for the reply
   * (engine/stored-bytes.ts), unless a blocking sort holds every match in memory, where the bytes would double it.
   */
  forReply?: boolean;
}

export interface QueryResult {
  docs: Doc[];
  plan: Plan;
  /** Documents examined (fetched and tested), for explain and tests. */
  examined: number;
}

/** Ids of a scan's entries whose keys pass its key test. */
function* scanIds(scan: IndexScan, reverse: boolean, txn: ReadTxn | undefined): Generator<string> {
  const test = scan.keyTest;
  if (test === undefined) {
    yield* scan.index.scan(scan.intervals, reverse, txn);
    return;
  }
  for (const [key, id] of scan.index.scanEntries(scan.intervals, reverse, txn)) if (test(key)) yield id;
}

function* candidateIds(coll: Collection, plan: Plan, txn: ReadTxn | undefined): Generator<string> {
  switch (plan.kind) {
    case 'id':
      yield plan.idKey;
      return;
    case 'scan':
      yield* scanIds(plan.scan, plan.scan.reverse, txn);
      return;
    case 'or':
      for (const s of plan.scans) yield* scanIds(s, false, txn);
      return;
    default:
      yield* coll.ids(txn);
  }
}

export interface QueryStream {
  plan: Plan;
  /**
   * The matching documents in order, skip and limit applied. Read lazily from the index or the collection when no
   * blocking sort is needed and the view is the latest state (a cursor then holds no copy of its result); else
   * computed at once.
   */
  docs: Iterator<Doc>;
  /** Documents examined so far (fetched and tested). */
  stats: { examined: number };
}

/** Matching documents in the plan's order, then (for a transaction) its own writes the scan did not meet. */
function* matches(
  coll: Collection,
  view: ReadView,
  plan: Plan,
  test: (doc: Doc) => boolean,
  sortedScan: boolean,
  stats: { examined: number },
  keepBytes: boolean,
): Generator<Doc> {
  const overlay = view.overlay && view.overlay.size > 0 ? view.overlay : undefined;
  // Index scans can meet an id twice (multikey entries).
  const dedupe = plan.kind === 'scan' || plan.kind === 'or';
  const seen = new Set<string>();
  const fetch = (id: string): Doc | null => {
    if (dedupe) {
      if (seen.has(id)) return null;
      seen.add(id);
    }
    const doc = overlay?.has(id) ? overlay.get(id)! : coll.visible(id, view.txn, keepBytes);
    if (doc === null) return null;
    stats.examined++;
    return test(doc) ? doc : null;
  };
  if (plan.kind === 'scan' && sortedScan) {
    const { index, keyTest } = plan.scan;
    for (const [key, id] of index.scanEntries(plan.scan.intervals, plan.scan.reverse, view.txn)) {
      if (keyTest !== undefined && !keyTest(key)) continue;
      const doc = fetch(id);
      if (doc !== null) yield doc;
    }
  } else {
    for (const id of candidateIds(coll, plan, view.txn)) {
      const doc = fetch(id);
      if (doc !== null) yield doc;
    }
  }
  // An _id lookup already consulted the overlay for its one id.
  if (overlay && plan.kind !== 'id') {
    for (const id of overlay.keys()) {
      if (dedupe ? seen.has(id) : coll.exists(id, view.txn)) continue;
      const doc = fetch(id);
      if (doc !== null) yield doc;
    }
  }
}

function* window(docs: Iterator<Doc>, skip: number, limit: number): Generator<Doc> {
  let n = 0;
  for (let r = docs.next(); !r.done; r = docs.next()) {
    if (n++ < skip) continue;
    yield r.value;
    if (limit > 0 && n >= skip + limit) return;
  }
}

export function openQuery(coll: Collection | undefined, view: ReadView, spec: QuerySpec): QueryStream {
  const sort = spec.sort ?? [];
  const stats = { examined: 0 };
  if (!coll) return { docs: [][Symbol.iterator](), plan: { kind: 'collscan' }, stats };
  const skip = spec.skip ?? 0;
  const limit = spec.limit ?? 0;
  const plan = planQuery(coll.indexes, spec.filter, sort, spec.hint, limit ? skip + limit : 0);
  const test = compileFilter(spec.filter);
  const overlay = view.overlay && view.overlay.size > 0;
  const sortDone = sort.length === 0 || (plan.kind === 'scan' && plan.scan.sortServed && !overlay);
  const found = matches(coll, view, plan, test, sortDone && sort.length > 0, stats, sortDone && spec.forReply === true);
  if (sortDone) {
    const docs = window(found, skip, limit);
    // Only the latest state may be read lazily: a snapshot (transaction) reads all at once, as it always did.
    return { plan, docs: view.snapshotTs === LATEST.snapshotTs ? docs : [...docs][Symbol.iterator](), stats };
  }
  const ordered = sortDocuments([...found], sort);
  const end = limit > 0 ? skip + limit : ordered.length;
  return { plan, docs: ordered.slice(skip, end)[Symbol.iterator](), stats };
}

export function runQuery(coll: Collection | undefined, view: ReadView, spec: QuerySpec): QueryResult {
  const q = openQuery(coll, view, spec);
  const docs: Doc[] = [];
  for (let r = q.docs.next(); !r.done; r = q.docs.next()) docs.push(r.value);
  return { docs, plan: q.plan, examined: q.stats.examined };
}
