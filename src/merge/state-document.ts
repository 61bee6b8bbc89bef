/** The server's own record of merges: one document per patient a merge involved (not a resource type). */
export const MERGE_STATE_COLLECTION = 'patient_merges';

/** A merge in progress holds both patients: writes touching their records are refused until it ends or `until` passes. */
export interface MergeLock {
  merge: string;
  role: 'source' | 'target';
  /** The other patient of the merge. */
  other: string;
  until: Date;
  /** On the source's lock: the Provenances of the batches a merge job has committed so far. */
  provenance?: string[];
}

export interface PatientMergeState {
  /** The patient's id. */
  _id: string;
  /** Set while this patient is merged away: the id of the patient it was merged into. */
  mergedInto?: string;
  /** The Provenances that record the merge (the merge's own, then any of its sweeps): what $unmerge undoes. */
  provenance?: string[];
  mergedAt?: Date;
  lock?: MergeLock;
}

/** Is `state` held by a merge in progress (a lock not yet expired)? */
export function activeLock(state: PatientMergeState | null | undefined, now = new Date()): MergeLock | undefined {
  return state?.lock && state.lock.until > now ? state.lock : undefined;
}
