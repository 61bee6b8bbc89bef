import { randomInt } from 'node:crypto';
import type { Db } from 'mongodb';
import { conflict } from '../errors/operation-outcome-error';
import { ensureCollection } from '../store/ensure-collection';
import type { Repository } from '../store/repository';

/**
 * The meeting point of a hold and the writes it forbids. Under snapshot isolation, a DELETE whose transaction began
 * before a hold committed reads no hold and would go through, and the hold (which reads the resource, not the
 * delete's write) would commit too. So the placement of a hold and every write a hold forbids (a delete of any
 * kind, a merge of the record away, a destruction batch) also write small guard documents of the record in their
 * transaction: two of them writing the same document are a write conflict, one aborts, and the driver runs it again
 * on a later snapshot, where it sees the other (a delete then reads the hold and answers 409; a hold is placed after
 * the delete). A guard's only content is a counter.
 *
 * A record (`Patient/<id>`) has one record guard and STRIPES delete guards (`Patient/<id>#<k>`):
 * - a delete writes one delete guard of its record, so deletes within one record do not conflict with each other
 *   (they are not exclusive of each other, and a busy record has many at once);
 * - a merge of the record away, a destruction batch and the start of a destruction in parts write the record guard
 *   (they exclude holds and each other, not deletes: a delete of a resource they remove conflicts on the resource);
 * - the placement of a hold writes the record guard and every delete guard, so it meets all of them.
 * A resource of no patient has the one guard `Type/<id>`, written by its deletes and its holds alike.
 */
export const HOLD_GUARD_COLLECTION = 'legal_hold_guards';

/**
 * Delete guards per record: with fewer deletes of one record in flight in one server than this, none conflict (each
 * takes the next stripe, see `nextStripe`); a hold placement writes them all, which costs little (holds are rare).
 */
export const STRIPES = 64;

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

const isRecord = (key: string) => key.startsWith('Patient/');
const stripeKeys = (record: string) => Array.from({ length: STRIPES }, (_, k) => `${record}#${k}`);

/**
 * The delete guard the next delete takes: round robin from a random start, so deletes in flight together in this
 * server take different ones (a hash of the deleted resource would make two of them meet one time in STRIPES), and
 * several servers on one store start apart.
 */
let stripe = randomInt(STRIPES);
const nextStripe = () => (stripe = (stripe + 1) % STRIPES);

/** What this transaction has written: guard keys, and the delete guard taken per record. */
interface Touched {
  keys: Set<string>;
  deleteGuard: Map<string, string>;
}

/**
 * Writes the guards `keys` in `repo`'s transaction, each once per transaction. Outside a transaction it does nothing:
 * there is no snapshot to race.
 */
async function write(repo: Repository, keys: (touched: Touched) => string[]): Promise<void> {
  if (!repo.inTransactionNow) return;
  const touched = repo.commitCheck('legal-hold-guard', (): { state: Touched; check: () => Promise<void> } => ({
    state: { keys: new Set(), deleteGuard: new Map() },
    check: async () => undefined,
  }));
  const fresh = [...new Set(keys(touched))].filter((k) => !touched.keys.has(k));
  if (!fresh.length) return;
  for (const k of fresh) touched.keys.add(k);
  const ops = fresh.map((_id) => ({ updateOne: { filter: { _id }, update: { $inc: { n: 1 } }, upsert: true } }));
  await guards(repo).bulkWrite(ops, { ...repo.sessionOptions, ordered: true });
}

/**
 * Writes the record guards of `keys` (a merge away, a destruction batch, the start of a destruction in parts): they
 * meet a hold placed meanwhile and each other.
 */
export const touchGuards = (repo: Repository, keys: readonly string[]): Promise<void> => write(repo, () => [...keys]);

/**
 * Writes what a delete in the records `keys` writes: one delete guard per record, the same for every delete of it in
 * one transaction (a bundle deleting 5,000 resources of one record writes one), none when the transaction already
 * wrote the record guard (which a hold placement meets too); a key of no record is written itself.
 */
export const touchDeleteGuards = (repo: Repository, keys: readonly string[]): Promise<void> =>
  write(repo, (touched) =>
    keys.flatMap((key) => {
      if (!isRecord(key)) return [key];
      if (touched.keys.has(key) || touched.deleteGuard.has(key)) return [];
      const guard = `${key}#${nextStripe()}`;
      touched.deleteGuard.set(key, guard);
      return [guard];
    }),
  );

/** Writes every guard of the records `keys` (a hold placement): it meets any delete, merge or destruction of them. */
export const touchEveryGuard = (repo: Repository, keys: readonly string[]): Promise<void> =>
  write(repo, () => keys.flatMap((key) => (isRecord(key) ? [key, ...stripeKeys(key)] : [key])));

/**
 * Removes the guards of destroyed records in the destruction batch's transaction (after `touchGuards`, so the
 * removal is itself a write that conflicts with a hold placed meanwhile): nothing named by the record stays.
 */
export async function dropGuards(repo: Repository, patientIds: readonly string[]): Promise<void> {
  if (!patientIds.length) return;
  const keys = patientIds.flatMap((id) => [`Patient/${id}`, ...stripeKeys(`Patient/${id}`)]);
  await guards(repo).deleteMany({ _id: { $in: keys } }, repo.sessionOptions);
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

/**
 * Refuses (409) when one of the records of `keys` is being destroyed: call it after writing the record guards of
 * `keys` (`touchGuards` or `touchEveryGuard`), which the destruction's mark also writes.
 */
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
