import { conflict } from '../errors/operation-outcome-error';
import type { Repository } from '../store/repository';
import { MERGE_STATE_COLLECTION, activeLock, type PatientMergeState } from './state-document';

/** What one transaction's writes saw of a patient's merge state, in the transaction's snapshot. */
interface Seen {
  /** The patient's state document, null when it has none. */
  state: PatientMergeState | null;
  /** Some write of the transaction names the patient in its new version (not only in the version it replaced). */
  namedNow: boolean;
}

/** Per transaction: the patients its writes named and what they saw; those whose state it changes itself. */
export interface GuardState {
  seen: Map<string, Seen>;
  own: Set<string>;
}

/**
 * The write guard's state in `repo`'s transaction, checked again just before the commit against what is committed
 * then: a merge that locked or merged a patient after this transaction's snapshot (which its reads cannot see, and
 * snapshot isolation does not turn into a conflict, since nothing is written by both) makes the write fail (409)
 * instead of committing a reference the merge has already passed. Patients whose state the transaction changes
 * itself (a merge's or unmerge's own) are not checked.
 */
export function guardState(repo: Repository): GuardState {
  return repo.commitCheck('patient-merge-guard', () => ({ state: { seen: new Map(), own: new Set() }, check: (s: GuardState) => recheck(repo, s) }));
}

async function recheck(repo: Repository, s: GuardState): Promise<void> {
  const ids = [...s.seen.keys()].filter((id) => !s.own.has(id));
  if (!ids.length) return;
  // Without the session: what is committed now, not what this transaction's snapshot holds.
  const latest = await repo.db
    .collection<PatientMergeState>(MERGE_STATE_COLLECTION)
    .find({ _id: { $in: ids } })
    .toArray();
  for (const state of latest) {
    const seen = s.seen.get(state._id) as Seen;
    const lock = activeLock(state);
    if (lock && lock.merge !== seen.state?.lock?.merge) {
      throw conflict(`Patient/${state._id} began being merged with Patient/${lock.other} while this write ran: nothing was written; try again`);
    }
    if (state.mergedInto && !seen.state?.mergedInto && seen.namedNow) {
      throw conflict(`Patient/${state._id} was merged into Patient/${state.mergedInto} while this write ran: nothing was written; try again`);
    }
  }
}
