import type { Patient } from 'fhir/r4';
import { conflict, unprocessable } from '../errors/operation-outcome-error';
import { referencedPatientIds, storedPatientReferences } from '../search/patient-references';
import type { WriteEvent, WriteHook } from '../store/write-hooks';
import type { MergeRules } from './rules';
import type { Repository } from '../store/repository';
import { guardState } from './guard-state';
import { guardFlags, recordGuardKey } from '../retention/hold-guard';
import { MergeStates, activeLock, type PatientMergeState } from './state';

/**
 * Patients the new version names (a Patient names itself): what a write to a merged-away source would leave behind.
 * A Patient's `replaces` links are left out: naming the patients merged into it is what they are for.
 */
function namedNow(e: WriteEvent): string[] {
  if (e.type !== 'Patient') return e.resource ? referencedPatientIds(e.resource) : [];
  const patient = e.resource as Patient | undefined;
  const kept = patient ? { ...patient, link: patient.link?.filter((l) => l.type !== 'replaces') } : undefined;
  return [e.id, ...(kept ? referencedPatientIds(kept) : [])];
}

/** Patients the version replaced named: a write that moves a resource off a patient touches that record too. */
function namedBefore(e: WriteEvent): string[] {
  if (!e.previous || e.previous.del) return [];
  const ids = storedPatientReferences(e.previous);
  return e.type === 'Patient' ? [e.id, ...ids] : ids;
}

/**
 * The merge state of each patient this write names, as the transaction sees it. Read once per transaction and
 * patient (a bundle of 5,000 entries of one patient reads it once), again when the transaction changed it itself;
 * kept, with whether a new version names the patient, for the check before the commit (guard-state.ts).
 */
async function statesSeen(repo: Repository, touched: string[], now: string[]): Promise<PatientMergeState[]> {
  const guard = guardState(repo);
  const unread = touched.filter((id) => !guard.seen.has(id) || guard.own.has(id));
  const found = new Map((await new MergeStates(repo).of(unread)).map((s) => [s._id, s]));
  for (const id of unread) guard.seen.set(id, { state: found.get(id) ?? null, namedNow: guard.seen.get(id)?.namedNow ?? false });
  const seen = touched.map((id) => guard.seen.get(id) as { state: PatientMergeState | null; namedNow: boolean });
  for (const [i, id] of touched.entries()) seen[i].namedNow ||= now.includes(id);
  return seen.flatMap((s) => s.state ?? []);
}

/**
 * The write guard of patient merges, a `before` hook on every write (REST, bundle entry, operation, job):
 * - while a merge holds a patient (its lock), any write whose new or replaced version references that patient, or
 *   that is that Patient, is refused with 409: no one writes into a record being moved;
 * - once a patient is merged away, a write whose new version references it (or writes, or deletes, that Patient)
 *   is refused with 422 naming where the record went. Writes that take a reference to it away are let through.
 * AuditEvent and Provenance (the merge rules' `keepReferences`) record what happened to whom and are never refused.
 * A write that names no patient costs nothing; one that does writes a guard of each patient's record, which says
 * whether the patient has a merge state (a merge sets the flag on all of them in the transaction that writes the
 * state, so a write and a merge running together meet there and one runs again). Only then does it read the state
 * of those patients (one indexed query on a small collection, once per transaction) in the write's own transaction, so a merge or unmerge running in that transaction
 * sees its own changes to that state; and once more just before the commit, outside the snapshot (guard-state.ts),
 * so a merge that began after this transaction's snapshot still refuses it.
 */
export function mergeWriteGuard(rules: MergeRules): WriteHook {
  return {
    name: 'patient-merge-guard',
    async before(repo, e) {
      if (rules.keepReferences.has(e.type)) return;
      // A Patient created under an id the server just made has no merge state, and no merge can begin on it before
      // this write commits (a merge reads both patients as committed): it is not looked up, before or at the commit.
      const now = e.fresh ? namedNow(e).filter((id) => id !== e.id || e.type !== 'Patient') : namedNow(e);
      const touched = [...new Set([...now, ...namedBefore(e)])];
      if (touched.length === 0) return;
      // The write's guard in each record (src/retention/hold-guard.ts) says which patients have a merge state at all:
      // only those are read. A merge that changes one meets this write on that guard (one of the two runs again).
      const flags = await guardFlags(repo, touched.map(recordGuardKey));
      const stated = touched.filter((id) => flags.get(recordGuardKey(id))?.merge);
      if (stated.length === 0) return;
      for (const state of await statesSeen(repo, stated, now)) {
        const lock = activeLock(state);
        if (lock) {
          throw conflict(
            `Patient/${state._id} is being merged ${lock.role === 'source' ? 'into' : 'with'} Patient/${lock.other}: writes to its record are refused until the merge has finished; try again`,
          );
        }
        if (state.mergedInto && now.includes(state._id)) {
          const final = await new MergeStates(repo).finalTarget(state._id);
          const via = final === state.mergedInto ? '' : ` (itself since merged into Patient/${final})`;
          throw unprocessable(
            `Patient/${state._id} was merged into Patient/${state.mergedInto}${via} and is inactive: write to Patient/${final} instead (or $unmerge it first)`,
          );
        }
      }
    },
  };
}
