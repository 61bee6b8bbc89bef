import type { Resource, Task } from 'fhir/r4';
import type { Db, FindOptions } from 'mongodb';
import { collectReferences } from '../fhir/references';
import { TASK_FLAGS_RECORDED, flagEveryGuard, flaggedGuards, guardFlags, guardKeys, onceForGuardFlags, setEveryGuard } from '../retention/hold-guard';
import { storedPatientReferences } from '../search/patient-references';
import type { Repository } from '../store/repository';
import type { StoredDocument } from '../store/stored-document';
import type { WriteEvent } from '../store/write-hooks';
import { DEFICIENCY_ID_PREFIX, IDENTIFIER_SYSTEM } from './task';

/**
 * The `tasks` flag of the record guards (src/retention/hold-guard.ts): whether a deficiency Task may exist whose
 * focus is in the record, so that a write of a resource a rule is scoped on looks its Tasks up only then. It holds
 * because:
 * - when a Task is created (the audit, a client, an import), the transaction reads its focus's stored version and
 *   sets the flag on every guard of each record that version is in (`flagTaskFoci`), or, when it is in none (no
 *   patient named, deleted, never stored), on the focus's own guard `Type/id`. A write of the focus running at the
 *   same time writes one of those guards too: one of the two runs again and sees the other;
 * - an update that moves the focus into a record it was not in carries the flag there (`carryTaskFlag`) when the
 *   records it left say a Task may exist, when a Task of it was found, or, when it was in no record, when its own
 *   guard says so;
 * - the flag is never cleared: a Task is never removed by the server (completed and cancelled Tasks are reopened by
 *   later writes), and a record's Tasks go with it only when it is destroyed, guards and all.
 * A write whose stored version was in no record (or is new, or deleted) looks its Tasks up as before.
 */

/** Foci whose records this transaction has flagged (a page of the audit, then each Task's write hook). */
function flaggedIn(repo: Repository): Set<string> {
  return repo.commitCheck('deficiency-task-flags', () => ({ state: new Set<string>(), check: async () => undefined }));
}

const inRecords = (subject: string, patients: readonly string[]) => patients.length > 0 || subject.startsWith('Patient/');

/**
 * The patients the live stored versions of `ids` name (none for one deleted or never stored), read in `db` with
 * `options` (a transaction's session, or none at start-up).
 */
async function storedPatients(db: Db, type: string, ids: readonly string[], options: FindOptions = {}): Promise<Map<string, string[]>> {
  const docs = db.collection<StoredDocument>(type).find({ _id: { $in: [...ids] }, del: false }, { ...options, projection: { 's.e': 1 } });
  const out = new Map<string, string[]>();
  for await (const doc of docs) out.set(doc._id, storedPatientReferences(doc));
  return out;
}

function byType(foci: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const focus of foci) {
    const [type, id] = focus.split('/');
    out.set(type, [...(out.get(type) ?? []), id]);
  }
  return out;
}

/** The guards whose `tasks` flag a Task of each of `foci` (`Type/id`) needs, read through `read`. */
async function guardsOfFoci(foci: readonly string[], read: (type: string, ids: readonly string[]) => Promise<Map<string, string[]>>): Promise<string[]> {
  const keys = new Set<string>();
  for (const [type, ids] of byType(foci)) {
    const patients = await read(type, ids);
    for (const id of ids) for (const k of guardKeys(`${type}/${id}`, patients.get(id) ?? [])) keys.add(k);
  }
  return [...keys];
}

/**
 * Sets the `tasks` flag for Tasks about to be created on `foci` (`Type/id`), in `repo`'s transaction: on every
 * guard of the records their stored versions are in now (the transaction's snapshot), or their own guards. Guards
 * already flagged are left alone (read, not written).
 */
export async function flagTaskFoci(repo: Repository, foci: readonly string[]): Promise<void> {
  const done = flaggedIn(repo);
  const fresh = [...new Set(foci)].filter((f) => !done.has(f));
  if (!fresh.length) return;
  const keys = await guardsOfFoci(fresh, async (type, ids) => {
    await repo.flush(type);
    return storedPatients(repo.db, type, ids, repo.sessionOptions);
  });
  const flagged = await flaggedGuards(repo, keys, 'tasks');
  const unflagged = keys.filter((k) => !flagged.has(k));
  if (unflagged.length) await setEveryGuard(repo, unflagged, { tasks: true });
  for (const f of fresh) done.add(f);
}

/** `Type/id` of a reference (relative, absolute or versioned), if it names one. */
function localReference(reference: string | undefined): string | undefined {
  const m = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9.-]{1,64})(?:\/_history\/[^/]+)?$/.exec(reference ?? '');
  return m ? `${m[1]}/${m[2]}` : undefined;
}

/**
 * The foci a deficiency Task written by a client (or imported) names, by its `focus` and its identifier (`<rule>/
 * <Type>/<id>`), when its id is a deficiency id: their records get the flag, whatever rule the id is of (another
 * server on the store may have other rules in force). A Task whose id is a rule's on a focus it does not name is not
 * one the hook can be told about.
 */
export function deficiencyFoci(id: string, task: Task): string[] {
  if (!id.startsWith(DEFICIENCY_ID_PREFIX)) return [];
  const named = [localReference(task.focus?.reference)];
  for (const i of task.identifier ?? []) if (i.system === IDENTIFIER_SYSTEM) named.push(localReference(i.value?.slice(i.value.indexOf('/') + 1)));
  return [...new Set(named.filter((f): f is string => f !== undefined))];
}

/** The patients a version names, a superset of those its stored version is indexed under (any `.../Patient/id`). */
function namedPatients(resource: Resource): string[] {
  const ids = new Set<string>();
  for (const ref of collectReferences(resource)) {
    const local = localReference(ref);
    if (local?.startsWith('Patient/')) ids.add(local.slice('Patient/'.length));
  }
  return [...ids];
}

/** The patients the version `e` replaces is in the records of, when it is live; undefined otherwise. */
function recordsBefore(e: WriteEvent): string[] | undefined {
  if (!e.previous || e.previous.del) return undefined;
  const patients = storedPatientReferences(e.previous);
  return inRecords(`${e.type}/${e.id}`, patients) ? guardKeys(`${e.type}/${e.id}`, patients) : undefined;
}

/**
 * Whether a Task of the resource `e` writes may exist, as its guards say: true or false when the version it
 * replaces was in a record (the flags come with the guard writes the merge and hold hooks made, at no cost), and
 * undefined when that cannot be known (new, deleted, or in no record): the caller looks the Tasks up.
 */
export async function ownTasksFlag(repo: Repository, e: WriteEvent): Promise<boolean | undefined> {
  const keys = recordsBefore(e);
  if (!keys) return undefined;
  return [...(await guardFlags(repo, keys)).values()].some((f) => f.tasks);
}

/**
 * An update that moves a resource into records its replaced version was not in carries the `tasks` flag there when
 * a Task of it may exist: `flaggedBefore` (what its old records said, undefined when it was in none), `found` (a
 * Task of it was looked up and found). When it was in no record, its own guard says whether a Task was created for
 * it meanwhile (written here, so such a creation running now meets this write).
 */
export async function carryTaskFlag(repo: Repository, e: WriteEvent, flaggedBefore: boolean | undefined, found: boolean): Promise<void> {
  if (!e.resource) return;
  const subject = `${e.type}/${e.id}`;
  const now = namedPatients(e.resource);
  if (!inRecords(subject, now)) return;
  const before = new Set(recordsBefore(e) ?? []);
  const added = guardKeys(subject, now).filter((k) => !before.has(k));
  if (!added.length) return;
  let carry = found || flaggedBefore === true;
  if (!carry && flaggedBefore === undefined) carry = (await guardFlags(repo, [subject])).get(subject)?.tasks === true;
  if (!carry) return;
  const flags = await guardFlags(repo, added);
  const unflagged = added.filter((k) => !flags.get(k)?.tasks);
  if (unflagged.length) await setEveryGuard(repo, unflagged, { tasks: true });
}

/** Tasks looked at per query when flagging a store's guards at start-up. */
const START_PAGE = 1000;

/**
 * The `tasks` flag for the deficiency Tasks of a store written before the guards carried it (at start-up, before
 * serving), once per store (`#flags-tasks`): the guards of the records each Task's focus is in now, or its own.
 * Every live Task with a deficiency id counts, whatever its status and whether its rule is still in force.
 */
export async function flagStoredTasksOnce(db: Db): Promise<void> {
  await onceForGuardFlags(
    db,
    async () => {
      const ids = { $gte: DEFICIENCY_ID_PREFIX, $lt: `${DEFICIENCY_ID_PREFIX.slice(0, -1)}.` };
      const tasks = db.collection<StoredDocument>('Task').find({ _id: ids, del: false }, { projection: { r: 1 } });
      let foci: string[] = [];
      const flush = async () => {
        const keys = await guardsOfFoci(foci, (type, ids) => storedPatients(db, type, ids));
        await flagEveryGuard(db, keys, { tasks: true });
        foci = [];
      };
      for await (const doc of tasks) {
        foci.push(...deficiencyFoci(doc._id, JSON.parse(doc.r) as Task));
        if (foci.length >= START_PAGE) await flush();
      }
      if (foci.length) await flush();
    },
    TASK_FLAGS_RECORDED,
  );
}
