import { randomInt } from 'node:crypto';
import type { Db } from 'mongodb';
import { conflict } from '../errors/operation-outcome-error';
import { ensureCollection } from '../store/ensure-collection';
import type { Repository } from '../store/repository';
import { MERGE_STATE_COLLECTION } from '../merge/state-document';

/**
 * The meeting point of a hold and the writes it forbids. Under snapshot isolation, a DELETE whose transaction began
 * before a hold committed reads no hold and would go through, and the hold (which reads the resource, not the
 * delete's write) would commit too. So the placement of a hold and every write a hold forbids (a delete of any
 * kind, a merge of the record away, a destruction batch) also write small guard documents of the record in their
 * transaction: two of them writing the same document are a write conflict, one aborts, and the driver runs it again
 * on a later snapshot, where it sees the other (a delete then reads the hold and answers 409; a hold is placed after
 * the delete). A guard holds a counter and flags (`GuardFlags`: whether a hold may be in force, whether the patient
 * has a merge state), so the one command that writes it also tells the write whether to look further.
 *
 * A record (`Patient/<id>`) has one record guard and STRIPES delete guards (`Patient/<id>#<k>`):
 * - a delete, and any write naming a patient (the merge guard, src/merge/write-guard.ts), writes one delete guard
 *   of each record it names, so writes within one record do not conflict with each other (they are not exclusive
 *   of each other, and a busy record has many at once);
 * - a change of a patient's merge state writes every guard of its record, setting its `merge` flag;
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

/** The key of a patient's record among the guards (its record guard's `_id`, the prefix of its delete guards). */
export const recordGuardKey = (patientId: string): string => `Patient/${patientId}`;

/** The patients (ids) whose records a stored document is in, from its compartments `c`. */
export const recordsOf = (compartments: readonly string[] | undefined): string[] =>
  (compartments ?? []).filter((c) => c.startsWith('Patient/')).map((c) => c.slice('Patient/'.length));

/** The guard keys of a resource `subject` (`Type/id`) in the records of `patients` (ids). */
export function guardKeys(subject: string, patients: readonly string[]): string[] {
  const records = new Set(patients.map(recordGuardKey));
  if (subject.startsWith('Patient/')) records.add(subject);
  return records.size ? [...records] : [subject];
}

/** Creates the collection before any transaction writes it (MongoDB creates none inside one). */
export const ensureHoldGuards = (db: Db): Promise<void> => ensureCollection(db, HOLD_GUARD_COLLECTION);

/**
 * What a guard document knows of its record (or resource of no patient), so that the one command a write sends to
 * write its guard also says whether to look further: set on every guard of the record in the transaction that
 * makes it true, so a write whose guard says nothing either ran before that transaction (one of the two write
 * conflicts and runs again) or after it.
 */
export interface GuardFlags {
  /** The patient has a merge state document (src/merge/state.ts): the merge guard reads it. Never cleared. */
  merge?: boolean;
  /** A legal hold may be in force on the record or one of its resources: a delete searches the holds. */
  held?: boolean;
  /**
   * A deficiency Task (src/completeness) may exist whose focus is in the record: a write of that resource looks its
   * Tasks up. Set when one is created (src/completeness/task-guard.ts), carried when its focus moves. Never cleared.
   */
  tasks?: boolean;
}

interface Guard extends GuardFlags {
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

/** What this transaction has written: guard keys, the delete guard taken per record, and the flags each said. */
interface Touched {
  keys: Set<string>;
  deleteGuard: Map<string, string>;
  flags: Map<string, GuardFlags>;
}

function touchedIn(repo: Repository): Touched {
  return repo.commitCheck('legal-hold-guard', (): { state: Touched; check: () => Promise<void> } => ({
    state: { keys: new Set(), deleteGuard: new Map(), flags: new Map() },
    check: async () => undefined,
  }));
}

/**
 * Writes the guards `keys` in `repo`'s transaction, each once per transaction (unless `set` changes their flags).
 * Outside a transaction it does nothing: there is no snapshot to race.
 */
async function write(repo: Repository, keys: (touched: Touched) => string[], set?: GuardFlags): Promise<void> {
  if (!repo.inTransactionNow) return;
  const touched = touchedIn(repo);
  const fresh = [...new Set(keys(touched))].filter((k) => set || !touched.keys.has(k));
  if (!fresh.length) return;
  for (const k of fresh) touched.keys.add(k);
  const update = set ? { $inc: { n: 1 }, $set: set } : { $inc: { n: 1 } };
  const ops = fresh.map((_id) => ({ updateOne: { filter: { _id }, update, upsert: true } }));
  await guards(repo).bulkWrite(ops, { ...repo.sessionOptions, ordered: true });
  // The flags written are known now; others of these keys are not (a bulk write returns no documents).
  for (const k of fresh) touched.flags.delete(k);
}

/**
 * Writes the record guards of `keys` (a merge away, a destruction batch, the start of a destruction in parts): they
 * meet a hold placed meanwhile and each other.
 */
export const touchGuards = (repo: Repository, keys: readonly string[]): Promise<void> => write(repo, () => [...keys]);

/** The guard a write in the record (or resource of no patient) `key` writes: a delete guard of the record, or `key`. */
function writeGuardOf(touched: Touched, key: string): string {
  if (!isRecord(key)) return key;
  // A transaction that wrote the record guard (which a hold placement meets too) reads the flags there.
  if (touched.keys.has(key)) return key;
  let guard = touched.deleteGuard.get(key);
  if (!guard) touched.deleteGuard.set(key, (guard = `${key}#${nextStripe()}`));
  return guard;
}

/**
 * Writes what a write in the records (or resources of no patient) `keys` writes, and returns what each guard says:
 * one delete guard per record, the same for every write of it in one transaction (a bundle deleting 5,000 resources
 * of one record writes one), the record guard itself when the transaction already wrote it, a key of no record
 * itself. One findOneAndUpdate per key and transaction; none outside a transaction (all flags then read as set:
 * the caller looks everything up, as there is no conflict to rely on).
 */
export async function guardFlags(repo: Repository, keys: readonly string[]): Promise<Map<string, GuardFlags>> {
  const out = new Map<string, GuardFlags>();
  if (!repo.inTransactionNow) {
    for (const key of keys) out.set(key, { merge: true, held: true, tasks: true });
    return out;
  }
  const touched = touchedIn(repo);
  for (const key of new Set(keys)) {
    const guard = writeGuardOf(touched, key);
    let flags = touched.flags.get(guard);
    if (!flags) {
      const doc = await guards(repo).findOneAndUpdate(
        { _id: guard },
        { $inc: { n: 1 } },
        { ...repo.sessionOptions, upsert: true, returnDocument: 'after', projection: { merge: 1, held: 1, tasks: 1 } },
      );
      flags = { merge: doc?.merge === true, held: doc?.held === true, tasks: doc?.tasks === true };
      touched.keys.add(guard);
      touched.flags.set(guard, flags);
    }
    out.set(key, flags);
  }
  return out;
}

/** Writes what a delete in the records `keys` writes (`guardFlags`); whether a hold may be in force on one of them. */
export async function touchDeleteGuards(repo: Repository, keys: readonly string[]): Promise<boolean> {
  return [...(await guardFlags(repo, keys)).values()].some((f) => f.held);
}

/**
 * Writes every guard of the records `keys` (a hold placement, a merge state's change): it meets any write, delete,
 * merge or destruction of them; `set` sets flags on them all in the same write.
 */
export const touchEveryGuard = (repo: Repository, keys: readonly string[], set?: GuardFlags): Promise<void> =>
  write(repo, () => keys.flatMap((key) => (isRecord(key) ? [key, ...stripeKeys(key)] : [key])), set);

/**
 * Sets `set` on every guard of the records `keys` outside any transaction (at start-up, on state written before the
 * guards carried it; a merge state written outside a transaction): idempotent.
 */
export async function flagEveryGuard(db: Db, keys: readonly string[], set: GuardFlags): Promise<void> {
  const ids = keys.flatMap((key) => (isRecord(key) ? [key, ...stripeKeys(key)] : [key]));
  for (let i = 0; i < ids.length; i += 1000) {
    const ops = ids.slice(i, i + 1000).map((_id) => ({ updateOne: { filter: { _id }, update: { $set: set }, upsert: true } }));
    await db.collection<Guard>(HOLD_GUARD_COLLECTION).bulkWrite(ops, { ordered: false });
  }
}

/**
 * The `merge` flag of every patient with a merge state, in the guards of a store whose merges were recorded before
 * the guards carried it (at start-up, before serving; a few documents per merged patient).
 */
export async function flagMergedPatients(db: Db): Promise<void> {
  const states = await db
    .collection<{ _id: string }>(MERGE_STATE_COLLECTION)
    .find({}, { projection: { _id: 1 } })
    .toArray();
  await flagEveryGuard(
    db,
    states.map((s) => recordGuardKey(s._id)),
    { merge: true },
  );
}

/**
 * The documents that record that this store's guards carry their flags (`onceForGuardFlags`), no record's keys:
 * `#flags` for `merge` and `held`, `#flags-tasks` for `tasks` (added later: a store that has the first may lack it).
 */
export const FLAGS_RECORDED = '#flags';
export const TASK_FLAGS_RECORDED = '#flags-tasks';

/**
 * Runs `fill` (setting the flags of state recorded before the guards carried them) unless this store has run it
 * (its `marker` document exists).
 */
export async function onceForGuardFlags(db: Db, fill: () => Promise<void>, marker: string = FLAGS_RECORDED): Promise<void> {
  const collection = db.collection<Guard>(HOLD_GUARD_COLLECTION);
  if (await collection.findOne({ _id: marker })) return;
  await fill();
  await collection.updateOne({ _id: marker }, { $set: { n: 1 } }, { upsert: true });
}

/**
 * Those of the record guards (or guards of resources of no patient) `keys` on which `flag` is set, as `repo`'s
 * transaction sees them: a flag is set on every guard of a record in one transaction and never cleared, so a flag
 * seen here is set on them all. Reads only (a caller that then sets the flag on the others writes those).
 */
export async function flaggedGuards(repo: Repository, keys: readonly string[], flag: keyof GuardFlags): Promise<Set<string>> {
  if (!keys.length) return new Set();
  const found = await guards(repo)
    .find({ _id: { $in: [...keys] }, [flag]: true }, { ...repo.sessionOptions, projection: { _id: 1 } })
    .toArray();
  return new Set(found.map((g) => g._id));
}

/**
 * Sets `set` on every guard of the records `keys`: in `repo`'s transaction (`touchEveryGuard`, so it meets every
 * write of them), or directly when there is none.
 */
export const setEveryGuard = (repo: Repository, keys: readonly string[], set: GuardFlags): Promise<void> =>
  repo.inTransactionNow ? touchEveryGuard(repo, keys, set) : flagEveryGuard(repo.db, keys, set);

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
