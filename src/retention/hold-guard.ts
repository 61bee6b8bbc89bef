import type { Db } from 'mongodb';
import { conflict } from '../errors/operation-outcome-error';
import { ensureCollection } from '../store/ensure-collection';
import type { Repository } from '../store/repository';

/**
 * The meeting point of a hold and the writes it forbids. Under snapshot isolation, a DELETE whose transaction began
 * before a hold committed reads no hold and would go through, and the hold (which reads the resource, not the
 * delete's write) would commit too. So the placement of a hold and every write a hold forbids (a delete of any
 * kind, a merge of the record away, a destruction batch) also write one small document per record in their
 * transaction: two of them on the same record are a write conflict, one aborts, and the driver runs it again on a
 * later snapshot, where it sees the other (a delete then reads the hold and answers 409; a hold is placed after
 * the delete). The document's only content is a counter; its key is the record (`Patient/<id>`), or the resource
 * itself (`Type/<id>`) when it belongs to no patient.
 */
export const HOLD_GUARD_COLLECTION = 'legal_hold_guards';

/** The guard keys of a resource `subject` (`Type/id`) in the records of `patients` (ids). */
export function guardKeys(subject: string, patients: readonly string[]): string[] {
  const records = new Set(patients.map((id) => `Patient/${id}`));
  if (subject.startsWith('Patient/')) records.add(subject);
  return records.size ? [...records] : [subject];
}

/** Creates the collection before any transaction writes it (MongoDB creates none inside one). */
export const ensureHoldGuards = (db: Db): Promise<void> => ensureCollection(db, HOLD_GUARD_COLLECTION);

interface Guard {
  _id: string;
  n: number;
  /** The destruction job that has begun destroying this record over several transactions (a very large record). */
  destroying?: string;
}

const guards = (repo: Repository) => repo.db.collection<Guard>(HOLD_GUARD_COLLECTION);

/**
 * Writes the guards of `keys` in `repo`'s transaction (each once per transaction: a bundle deleting 5,000 resources
 * of one record writes its guard once). Outside a transaction it does nothing: there is no snapshot to race.
 */
export async function touchGuards(repo: Repository, keys: readonly string[]): Promise<void> {
  if (!repo.inTransactionNow) return;
  const touched = repo.commitCheck('legal-hold-guard', () => ({ state: new Set<string>(), check: async () => undefined }));
  const fresh = [...new Set(keys)].filter((k) => !touched.has(k));
  if (!fresh.length) return;
  for (const k of fresh) touched.add(k);
  const ops = fresh.map((_id) => ({ updateOne: { filter: { _id }, update: { $inc: { n: 1 } }, upsert: true } }));
  await guards(repo).bulkWrite(ops, { ...repo.sessionOptions, ordered: true });
}

/**
 * Removes the guards of destroyed records in the destruction batch's transaction (after `touchGuards`, so the
 * removal is itself a write that conflicts with a hold placed meanwhile): nothing named by the record stays.
 */
export async function dropGuards(repo: Repository, patientIds: readonly string[]): Promise<void> {
  if (!patientIds.length) return;
  await guards(repo).deleteMany({ _id: { $in: patientIds.map((id) => `Patient/${id}`) } }, repo.sessionOptions);
}

/**
 * Marks the record of `patientId` as being destroyed by `job`, in the transaction of the first part of a record too
 * large for one transaction (src/destruction/large-records.ts): from then on the record goes whole, so a hold or a
 * merge of it away is refused (`assertNotDestroying`) until the last part removes the guard.
 */
export async function markDestroying(repo: Repository, patientId: string, job: string): Promise<void> {
  await touchGuards(repo, [`Patient/${patientId}`]);
  await guards(repo).updateOne({ _id: `Patient/${patientId}` }, { $set: { destroying: job } }, repo.sessionOptions);
}

/** Refuses (409) when one of the records of `keys` is being destroyed: call it after `touchGuards` on the same keys. */
export async function assertNotDestroying(repo: Repository, keys: readonly string[]): Promise<void> {
  const marked = await guards(repo)
    .find({ _id: { $in: [...keys] }, destroying: { $exists: true } }, repo.sessionOptions)
    .toArray();
  if (marked.length) {
    throw conflict(
      `${marked.map((g) => `The record of ${g._id}`).join(', ')} is being destroyed (destruction job ${marked[0].destroying}): it can no longer be held or merged`,
    );
  }
}
