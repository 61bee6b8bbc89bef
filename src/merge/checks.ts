import { unprocessable } from '../errors/operation-outcome-error';
import { replacedBy } from './patients';
import type { ResolvedPatient } from './resolve';
import type { MergeStates } from './state';

/** What a business rule of a merge sees: the two patients as stored, and the server's record of merges. */
export interface MergeCandidates {
  source: ResolvedPatient;
  target: ResolvedPatient;
  states: MergeStates;
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
 * The business rules of Patient/$merge, in order, run before anything is written and again inside the merge's
 * transaction. A rule of another layer joins this list: the legal hold of issue 20 refuses a merge of a held record
 * (either patient) here.
 */
export const MERGE_CHECKS: readonly MergeCheck[] = [notItself, sourceNotMerged, targetActive];

export async function assertMergeable(c: MergeCandidates): Promise<void> {
  for (const check of MERGE_CHECKS) await check(c);
}
