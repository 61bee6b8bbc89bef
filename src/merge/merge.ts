import { randomUUID } from 'node:crypto';
import type { Patient } from 'fhir/r4';
import type { RouterContext } from '../router/context';
import { assertMayMerge } from './authorize';
import { assertMergeable } from './checks';
import { OPERATION, addCounts, finishMerge, keptPatients, sweep, total, type MergePlan } from './merge-steps';
import { countReferencing } from './moves';
import type { MergeRequest } from './parameters';
import { checkResultPatient, mergedTarget } from './patients';
import { resolvePatient, type ResolvedPatient } from './resolve';
import type { MergeRules } from './rules';
import { MergeStates, ensureMergeStateCollection } from './state';

export interface MergeResult {
  preview: boolean;
  sourceId: string;
  targetId: string;
  /** The target as stored after the merge (or, in a preview, as it would be). */
  target: Patient;
  /** Resources moved (or that would be), by type; the two Patients are not counted. */
  moved: Record<string, number>;
  /** The Provenances recording the merge: its batches' and its own, then one per sweep that moved late arrivals. */
  provenance: string[];
  /** Resources a racing write created referencing the source while the merge ran, moved after its commit. */
  swept: number;
}

/** A merge checked and counted, not yet started. */
export interface PreparedMerge {
  source: ResolvedPatient;
  target: ResolvedPatient;
  result?: Patient;
  /** Resources that reference the source, by type (the two Patients and the chain of earlier merges left out). */
  moved: Record<string, number>;
  types: string[];
}

/**
 * Steps 1-2 of a merge: the caller's grants (authorize.ts), both patients (resolve.ts), the business rules
 * (checks.ts), result-patient, then the resources referencing the source counted per type through the `_patient-ref`
 * index and the caller's grants on those types. Nothing is written; a preview ends here.
 */
export async function prepareMerge(ctx: RouterContext, rules: MergeRules, req: MergeRequest): Promise<PreparedMerge> {
  const policy = ctx.repo.policy;
  assertMayMerge(policy, OPERATION);
  const source = await resolvePatient(ctx, req.source);
  const target = await resolvePatient(ctx, req.target);
  const states = new MergeStates(ctx.repo);
  await assertMergeable({ source, target, states, repo: ctx.repo });
  const result = req.resultPatient && checkResultPatient(req.resultPatient, target.id, [...req.source.identifiers, ...req.target.identifiers]);
  if (result) await ctx.validation.assertValid(mergedTarget(result, source.patient, source.id, false), ctx.repo, 'update');
  const types = ctx.servedTypes();
  const moved = await countReferencing(ctx.repo.privileged(), types, rules, source.id, await keptPatients(states, source.id, target.id));
  assertMayMerge(policy, OPERATION, Object.keys(moved));
  return { source, target, result, moved, types };
}

export function previewOf(p: PreparedMerge): MergeResult {
  const target = mergedTarget(p.result ?? p.target.patient, p.source.patient, p.source.id, !p.result);
  return { preview: true, sourceId: p.source.id, targetId: p.target.id, target, moved: p.moved, provenance: [], swept: 0 };
}

/** Does the merge fit in one transaction (its moved resources and the two Patients)? */
export const fitsOneTransaction = (p: PreparedMerge, rules: MergeRules) => total(p.moved) + 2 <= rules.maxTransactionResources;

/** Locks both patients for a new merge (step 3) and gives the plan its steps share. */
export async function startMerge(ctx: RouterContext, rules: MergeRules, p: PreparedMerge, merge = randomUUID()): Promise<MergePlan> {
  await ensureMergeStateCollection(ctx.repo.db);
  await ctx.repo.ensureTypes([...p.types, 'Patient', 'Provenance']);
  await new MergeStates(ctx.repo).lock(merge, p.source.id, p.target.id, rules.lockSeconds);
  return { rules, types: p.types, result: p.result, sourceId: p.source.id, targetId: p.target.id, merge };
}

/**
 * Patient/$merge in one transaction:
 * 3. a lock on both patients (state.ts), committed first, so writes touching either record are refused (409) while
 *    the merge runs instead of slipping past it;
 * 4. one transaction (merge-steps.ts finishMerge): every referencing resource rewritten to the target, both Patients,
 *    a Provenance listing every version written, the source recorded as merged and the locks lifted. A conflict
 *    with a concurrent write retries the whole transaction (the driver's withTransaction);
 * 5. sweeps (merge-steps.ts sweep) for resources a write that began before the lock committed after the merge read.
 */
export async function mergeNow(ctx: RouterContext, rules: MergeRules, p: PreparedMerge): Promise<MergeResult> {
  const plan = await startMerge(ctx, rules, p);
  let done;
  try {
    done = await ctx.repo.inTransaction((tx) => finishMerge(tx, plan));
  } catch (err) {
    await new MergeStates(ctx.repo).unlock(plan.merge, [plan.sourceId, plan.targetId]);
    throw err;
  }
  const late = await sweep(ctx.repo, plan);
  const moved = addCounts(done.moved, late.moved);
  return {
    preview: false,
    sourceId: plan.sourceId,
    targetId: plan.targetId,
    target: done.target,
    moved,
    provenance: [...done.provenance, ...late.provenance],
    swept: total(late.moved),
  };
}
