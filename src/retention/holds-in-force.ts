import type { Basic } from 'fhir/r4';
import { conflict } from '../errors/operation-outcome-error';
import { SearchContext, restrictionFilter } from '../search';
import type { Repository } from '../store/repository';
import type { WriteHook } from '../store/write-hooks';
import { lazy } from '../util/lazy';
import { type Hold, LEGAL_HOLD_CODE, RECORD_MANAGEMENT_SYSTEM, holdLabel, holdOf, isHoldResource } from './hold';
import type { Db } from 'mongodb';
import { allOf } from '../store/policy-filter';
import type { StoredDocument } from '../store/stored-document';
import { assertNotDestroying, flagEveryGuard, guardKeys, recordsOf, touchDeleteGuards, touchEveryGuard, touchGuards } from './hold-guard';
import { referencedPatientIds } from '../search/patient-references';
import type { WriteEvent } from '../store/write-hooks';

/**
 * Which holds are in force, and the refusals they cause. Holds are found with the search parameters the server
 * publishes for them (profiles/fhirstone/: `hold-status`, `hold-record`, with R4's Basic `code` and `subject`),
 * through the `search_value` index. Those definitions ship in the project's profiles/ folder, which every
 * server's registry reads first, so one search context made here compiles them the same for every server.
 */
const holdSearch = lazy(() => new SearchContext());

/** More open holds on one record than this is not a real case; the refusal names the first ones. */
const MAX_HOLDS = 1000;

async function findHolds(repo: Repository, criteria: Array<[string, string]>): Promise<Hold[]> {
  const query = new URLSearchParams([['code', `${RECORD_MANAGEMENT_SYSTEM}|${LEGAL_HOLD_CODE}`], ...criteria]).toString();
  await repo.flush('Basic');
  const holds: Hold[] = [];
  const docs = repo.find('Basic', restrictionFilter(holdSearch(), 'Basic', query), { sort: { _id: 1 }, limit: MAX_HOLDS, projection: { _id: 1, r: 1, c: 1 } });
  for await (const doc of docs) holds.push(holdOf(JSON.parse(doc.r) as Basic));
  return holds;
}

/**
 * The `held` flag in the guards of every hold in force, for a store whose holds were placed before the guards
 * carried it (at start-up, before serving): the guards of the records it holds, and of the records its subject is
 * in now (a held resource since moved to another).
 */
export async function flagHeldRecords(db: Db): Promise<void> {
  const query = new URLSearchParams([
    ['code', `${RECORD_MANAGEMENT_SYSTEM}|${LEGAL_HOLD_CODE}`],
    ['hold-status', 'open'],
  ]).toString();
  const keys = new Set<string>();
  const basics = db.collection<StoredDocument>('Basic').find(allOf({ del: false }, restrictionFilter(holdSearch(), 'Basic', query)), { projection: { r: 1 } });
  for await (const doc of basics) {
    const hold = holdOf(JSON.parse(doc.r) as Basic);
    for (const k of guardKeys(hold.subject, hold.records)) keys.add(k);
    const [type, id] = hold.subject.split('/');
    if (type === 'Patient') continue;
    const held = await db.collection<StoredDocument>(type).findOne({ _id: id }, { projection: { c: 1 } });
    for (const k of guardKeys(hold.subject, recordsOf(held?.c))) keys.add(k);
  }
  await flagEveryGuard(db, [...keys], { held: true });
}

/** Open holds whose subject is one of `subjects` (`Type/id`): a resource is held by its own and its record's. */
export function openHoldsNaming(repo: Repository, subjects: readonly string[]): Promise<Hold[]> {
  return findHolds(repo, [
    ['hold-status', 'open'],
    ['subject', [...new Set(subjects)].join(',')],
  ]);
}

/**
 * The holds on the records of `patientIds`: on the record itself and on any resource of it (open ones, unless
 * `status` says otherwise), as `repo`'s policy lets its caller see them.
 */
export function holdsOnRecords(repo: Repository, patientIds: readonly string[], status: 'open' | 'released' | 'any' = 'open'): Promise<Hold[]> {
  const criteria: Array<[string, string]> = [['hold-record', patientIds.map((id) => `Patient/${id}`).join(',')]];
  if (status !== 'any') criteria.push(['hold-status', status]);
  return findHolds(repo, criteria);
}

/** The refusal of something a hold forbids: 409, naming every hold in force. */
export function heldConflict(what: string, holds: readonly Hold[]) {
  return conflict(`${what} is under legal hold: ${holds.map(holdLabel).join(', ')}. Release the hold with $release-hold first.`);
}

/**
 * Refuses (409, naming the holds) when any of the records of `patientIds` is under a hold in force, on the record
 * or on one of its resources: for `$merge` of a record away and for destruction. Reads every hold whatever the
 * caller may see (`repo.privileged()`): a hold binds callers who cannot read it. Call it inside the transaction
 * that does the work: it writes the records' guards there (hold-guard.ts), so a hold placed meanwhile either
 * conflicts with it (and the transaction runs again and sees the hold) or is placed after the work.
 */
export async function assertNotHeld(repo: Repository, patientIds: readonly string[]): Promise<void> {
  if (patientIds.length === 0) return;
  const keys = patientIds.map((id) => `Patient/${id}`);
  await touchGuards(repo, keys);
  // A record whose destruction has begun goes whole: it is not merged away half destroyed.
  await assertNotDestroying(repo, keys);
  const holds = await holdsOnRecords(repo.privileged(), patientIds);
  if (holds.length) throw heldConflict(patientIds.map((id) => `The record of Patient/${id}`).join(', '), holds);
}

/**
 * An update that moves a held resource into another record (or out of every record) carries the guards' `held` flag
 * there, or a later delete of it, writing the new record's guard, would not search the holds. Only an update whose
 * new version names a patient its stored one is not in the record of pays for it (one guard write, and a search of
 * the holds naming the resource when the old guards say one may be in force).
 */
async function carryHeldFlag(repo: Repository, e: WriteEvent): Promise<void> {
  if (!e.previous || e.previous.del || !e.resource) return;
  const subject = `${e.type}/${e.id}`;
  const before = guardKeys(subject, recordsOf(e.previous.c));
  // Every patient the new version names, a superset of the records the stored version will be in.
  const after = guardKeys(subject, referencedPatientIds(e.resource));
  const added = after.filter((k) => !before.includes(k));
  if (!added.length || !(await touchDeleteGuards(repo, before))) return;
  if ((await openHoldsNaming(repo.privileged(), [subject])).length) await touchEveryGuard(repo, added, { held: true });
}

/** Transactions in which the hold operations write legal-hold Basics (see `writingHolds`). */
const holdWriters = new WeakSet<Repository>();

/**
 * Runs `fn` in a transaction in which legal-hold Basics may be written: the only way they are. A hold written
 * directly (POST, PUT, PATCH, DELETE of such a Basic, a bundle entry) is refused by `legalHoldHook`, so every
 * placement and release goes through `$hold` and `$release-hold` and is audited as one.
 */
export async function writingHolds<T>(repo: Repository, fn: (tx: Repository) => Promise<T>): Promise<T> {
  await repo.ensureTypes(['Basic']);
  return repo.inTransaction(async (tx) => {
    holdWriters.add(tx);
    try {
      return await fn(tx);
    } finally {
      holdWriters.delete(tx);
    }
  });
}

/**
 * The write hook of legal holds: a delete (plain, conditional, a bundle entry) of a resource that an open hold
 * names, or of any resource of a record under a record hold (its stored compartments list the patient), is
 * refused with 409 naming the holds; updates go on. A delete writes a guard of its record first (hold-guard.ts), so
 * a hold committed after the delete's snapshot is not missed. A legal-hold Basic is written only by the hold
 * operations.
 */
export const legalHoldHook: WriteHook = {
  name: 'legal-hold',
  async before(repo, e) {
    if (e.type === 'Basic') {
      const previous = e.previous ? (JSON.parse(e.previous.r) as Basic) : undefined;
      if ((isHoldResource(e.resource) || isHoldResource(previous)) && !holdWriters.has(repo)) {
        throw conflict(`Basic/${e.id}: legal holds are placed with $hold and released with $release-hold, never written directly`);
      }
    }
    if (e.op !== 'delete') return carryHeldFlag(repo, e);
    const patients = recordsOf(e.previous?.c);
    const keys = guardKeys(`${e.type}/${e.id}`, patients);
    // The guard says whether a hold may be in force there (hold-guard.ts): most deletes search no holds.
    if (!(await touchDeleteGuards(repo, keys))) return;
    const holds = await openHoldsNaming(repo.privileged(), [`${e.type}/${e.id}`, ...patients.map((id) => `Patient/${id}`)]);
    if (holds.length) {
      // The refusal's AuditEvent names the patient, so the why it keeps (the hold's matter) is sealed under the
      // patient's key and goes with the record (src/audit/query-text.ts).
      repo.trace?.add(e.type, e.id, e.previous?.c);
      throw heldConflict(`${e.type}/${e.id}`, holds);
    }
  },
};
