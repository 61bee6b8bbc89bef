import type { Filter } from 'mongodb';
import { keysetFilter, sortKeyDefs, type KeyValue } from '../search/paging';
import { allOf } from '../store/policy-filter';
import type { Repository } from '../store/repository';
import type { StoredDocument } from '../store/stored-document';

type DocFilter = Filter<StoredDocument>;

/**
 * The walk of patient records behind `$everything` and `$docref`: for one patient (or every patient the caller may
 * see, in `_id` order), each type's resources in the patient's compartment (the stored `c`), type by type and in
 * `_id` order within a type: keyset paging over the `compartment` index `{c: 1, _id: 1}`, so every page is a few
 * index seeks that start where the last page ended, whatever the record's size, and a write between pages neither
 * repeats nor skips what was already walked (a resource created behind the position is not seen, as in any keyset
 * paging). The position is search's page token (src/search/paging.ts): the keys are the patient, the type's place
 * in the walk and the last `_id`; the type and `_id` keys are search's own sort keys (`sortKeyDefs` without a
 * `_sort`), the type key holding the walk's order rather than the type's name so that the Patient comes first.
 */

/** One walked type after the other; the Patient first, then the rest alphabetically. */
export function walkOrder(type: string): string {
  return type === 'Patient' ? '' : type;
}

export const TYPE_AND_ID = sortKeyDefs([]);

/** Where a walk stands: after `id` (or before the first resource when null) of the type at `order`, in `patient`'s record. */
export interface WalkPosition {
  patient: string;
  order: string;
  id: string | null;
}

export function positionKeys(p: WalkPosition): KeyValue[] {
  return [p.patient, p.order, p.id];
}

export function positionOf(keys: readonly KeyValue[]): WalkPosition | undefined {
  const [patient, order, id] = keys;
  if (typeof patient !== 'string' || typeof order !== 'string' || (id !== null && typeof id !== 'string')) return undefined;
  return { patient, order, id };
}

export interface WalkPlan {
  /** The one patient whose record is walked; undefined: every patient the caller may search, in `_id` order. */
  patient?: string;
  /** The types walked, in walk order: those returned, and those read only for what they reference. */
  types: readonly string[];
  /** Is a walked resource of `type` returned (else it is read only for its references)? */
  emits(type: string): boolean;
  /** What a resource of `type` must also match (care dates, `_since`); undefined: nothing more. */
  filter(type: string): DocFilter | undefined;
}

export interface WalkRow {
  type: string;
  doc: StoredDocument;
  patient: string;
  emitted: boolean;
}

export interface WalkResult {
  rows: WalkRow[];
  /** Where the next page starts; undefined when the walk is complete. */
  next?: WalkPosition;
}

/** Queries one page may run before it ends early (a walk whose types or patients hold nothing it returns). */
export const MAX_QUERIES_PER_PAGE = 400;

/** The fields a walked resource is read with: its text, and `c` so the audit trace names its patients. */
const PROJECTION = { _id: 1, r: 1, c: 1 } as const;

/**
 * The next `count` resources of the walk after `from` (from the start when undefined). Returned resources are read
 * through `repo` (the caller's policy, recorded in the request's trace); resources read only for their references
 * and the patients a type-level walk moves through are read through `quiet` (the same policy, not recorded: nothing
 * of them is returned).
 */
export async function walkPage(repo: Repository, quiet: Repository, plan: WalkPlan, from: WalkPosition | undefined, count: number): Promise<WalkResult> {
  const rows: WalkRow[] = [];
  const limit = count + 1; // one more than the page tells whether there is a next one
  let queries = 0;
  let patient = from?.patient ?? plan.patient ?? (await nextPatient(quiet, undefined));
  let position = from;
  while (patient !== undefined) {
    for (const type of plan.types) {
      const order = walkOrder(type);
      if (position && order < position.order) continue;
      if (queries++ >= MAX_QUERIES_PER_PAGE) return { rows, next: { patient, order, id: position?.order === order ? position.id : null } };
      const after = position ? keysetFilter(TYPE_AND_ID, [position.order, position.id], order, false) : undefined;
      const emitted = plan.emits(type);
      const filter = allOf<StoredDocument>({ c: `Patient/${patient}` }, after ?? {}, plan.filter(type) ?? {});
      const found = (emitted ? repo : quiet).find(type, filter, { sort: { _id: 1 }, limit: limit - rows.length, projection: PROJECTION, hint: 'compartment' });
      for await (const doc of found) rows.push({ type, doc, patient, emitted });
      if (rows.length >= limit) return pageOf(rows, count);
    }
    if (plan.patient !== undefined) break;
    patient = await nextPatient(quiet, patient);
    position = undefined;
  }
  return { rows };
}

function pageOf(rows: WalkRow[], count: number): WalkResult {
  const page = rows.slice(0, count);
  const last = page[page.length - 1];
  return { rows: page, next: { patient: last.patient, order: walkOrder(last.type), id: last.doc._id } };
}

/** The first patient the caller may search after `after` (the first of all when undefined). */
async function nextPatient(quiet: Repository, after: string | undefined): Promise<string | undefined> {
  const filter = after === undefined ? {} : { _id: { $gt: after } };
  for await (const doc of quiet.find('Patient', filter, { sort: { _id: 1 }, limit: 1, projection: { _id: 1 } })) return doc._id;
  return undefined;
}
