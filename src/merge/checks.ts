import { unprocessable } from '../errors/operation-outcome-error';
import { assertNotHeld } from '../retention';
import type { Repository } from '../store/repository';
import { replacedBy } from './patients';
import type { ResolvedPatient } from './resolve';
import type { MergeStates } from './state';

/** What a business rule of a merge sees: the two patients as stored, and the server's record of merges. */
export interface MergeCandidates {
  source: ResolvedPatient;
  target: ResolvedPatient;
  states: MergeStates;
  /** The caller's repository (in the merge's transaction, when the rules run again there). */
  repo: Repository;
}

/** A business rule: throws an OperationOutcomeError (422, R5) to refuse the merge. */
export type MergeCheck = (c: MergeCandidates) => Promise<void>;

const notItself: MergeCheck = async ({ source, target }) => {
  if (source.id === target.id) throw unprocessable(`Patient/${source.id} cannot be merged into itself: source and target are the same patient`);
};

const sourceNotMerged: MergeCheck = async ({ source, states }) => {
  const into = (await states.get(source.id))?.mergedInto;
  if (into) throw unprocessable(`Patient/${source.id} was already merged into Patient/${await states.finalTarget(source.id)}`);
  const elsewhere = replacedBy(source.patient);
  if (elsewhere) throw unprocessable(`Patient/${source.id} is already replaced by ${elsewhere} (its replaced-by link)`);
};

/**
 * Merges chain forwards only: a record merged into B, which was then merged into C, is on C. So the target must be
 * active and not merged away; a merged one names where its record went.
 */
const targetActive: MergeCheck = async ({ target, states }) => {
  if ((await states.get(target.id))?.mergedInto) {
    const final = await states.finalTarget(target.id);
    throw unprocessable(`Patient/${target.id} was itself merged into Patient/${final}: merge into Patient/${final} instead`);
  }
  const elsewhere = replacedBy(target.patient);
  if (elsewhere) throw unprocessable(`Patient/${target.id} is replaced by ${elsewhere} (its replaced-by link): merge into that patient instead`);
  if (target.patient.active === false) throw unprocessable(`Patient/${target.id} is inactive: a merge needs an active target`);
};

/**
 * Issue 20: a record under a legal hold in force (on the record or on one of its resources) is not merged away (409,
 * naming the holds; src/retention). Read whatever the caller may see: a hold binds callers who cannot read it.
 */
const sourceNotHeld: MergeCheck = ({ source, repo }) => assertNotHeld(repo, [source.id]);

/**
 * The business rules of Patient/$merge, in order, run before anything is written and again inside the merge's
 * transaction (and before each batch of a merge job, for the hold). Another layer's rule joins this list.
 */
export const MERGE_CHECKS: readonly MergeCheck[] = [notItself, sourceNotMerged, targetActive, sourceNotHeld];

export async function assertMergeable(c: MergeCandidates): Promise<void> {
  for (const check of MERGE_CHECKS) await check(c);
}
