import type { Patient, Resource } from 'fhir/r4';
import { unprocessable } from '../errors/operation-outcome-error';
import { assertNotHeld } from '../retention';
import type { Repository } from '../store/repository';
import { assertMayMerge } from './authorize';
import { assertMergeable } from './checks';
import { findReferencing, movedResource, type ReferencingDoc } from './moves';
import { mergedSource, mergedTarget } from './patients';
import { mergeProvenance, type WrittenVersion } from './provenance';
import type { ResolvedPatient } from './resolve';
import type { MergeRules } from './rules';
import { MergeStates } from './state';

/**
 * The transactions a merge is made of, shared by the one-transaction merge and the merge job: moving a batch of
 * referencing resources, and the final step that writes both Patients and records the source as merged.
 */
export const OPERATION = 'Patient/$merge';

/** What every step of one merge knows. */
export interface MergePlan {
  rules: MergeRules;
  /** The types to look in (those stored when the merge began). */
  types: string[];
  /** The target as the caller gave it (result-patient), if it did. */
  result?: Patient;
  sourceId: string;
  targetId: string;
  /** The merge's id: its locks are this merge's. */
  merge: string;
}

export const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

export function addCounts(into: Record<string, number>, more: Record<string, number>): Record<string, number> {
  for (const [type, n] of Object.entries(more)) into[type] = (into[type] ?? 0) + n;
  return into;
}

/** Patients that reference the source but are not moved (see countReferencing). */
export async function keptPatients(states: MergeStates, sourceId: string, targetId: string): Promise<string[]> {
  return [sourceId, targetId, ...(await states.mergedInto(sourceId))];
}

export function assertWithinLimit(count: number, rules: MergeRules): void {
  if (count + 2 > rules.maxTransactionResources) {
    throw unprocessable(
      `The merge would change ${count + 2} resources in one transaction, more than the ${rules.maxTransactionResources} it may hold (MERGE_MAX_TRANSACTION_RESOURCES)`,
    );
  }
}

type Write = (type: string, id: string, resource: Resource, vid: number) => Promise<unknown>;

/** Writes each resource with its references to the source pointing at the target; counts them by type. */
async function moveAll(referencing: ReferencingDoc[], sourceId: string, targetId: string, write: Write): Promise<Record<string, number>> {
  const moved: Record<string, number> = {};
  for (const { type, doc } of referencing) {
    await write(type, doc._id, movedResource(JSON.parse(doc.r) as Resource, sourceId, targetId), doc.vid);
    moved[type] = (moved[type] ?? 0) + 1;
  }
  return moved;
}

/** Writes through `tx` (the caller's grants apply to each), remembering each version written for the Provenance. */
function recorder(tx: Repository) {
  const written: WrittenVersion[] = [];
  const write = async (type: string, id: string, resource: Resource, vid: number) => {
    const w = await tx.update(type, id, resource, { ifMatch: vid });
    written.push({ type, id, vid: w.doc.vid });
    return w;
  };
  return { written, write };
}

async function referencingNow(tx: Repository, plan: MergePlan, limit: number): Promise<ReferencingDoc[]> {
  const kept = await keptPatients(new MergeStates(tx), plan.sourceId, plan.targetId);
  const referencing = await findReferencing(tx.privileged(), plan.types, plan.rules, plan.sourceId, kept, limit);
  assertMayMerge(
    tx.policy,
    OPERATION,
    referencing.map((r) => r.type),
  );
  return referencing;
}

/**
 * Inside `tx`: moves up to `maxTransactionResources` resources still referencing the source, records them in a
 * Provenance of their own and adds it to the merge's (on the source's lock while the merge runs, on its record once
 * merged). Undefined when none is left.
 */
export async function moveBatch(tx: Repository, plan: MergePlan, merged: boolean): Promise<{ moved: Record<string, number>; provenance: string } | undefined> {
  const states = new MergeStates(tx);
  const referencing = await referencingNow(tx, plan, plan.rules.maxTransactionResources - 1);
  if (!referencing.length) return undefined;
  if (!merged) await assertNotHeld(tx, [plan.sourceId]);
  const relock = merged ? undefined : await states.suspend(plan.merge, plan.sourceId, plan.targetId);
  const { written, write } = recorder(tx);
  const moved = await moveAll(referencing, plan.sourceId, plan.targetId, write);
  const provenance = (await tx.privileged().create('Provenance', mergeProvenance('merge', tx.policy, written, plan.sourceId, plan.targetId))).doc._id;
  if (relock) await relock(provenance);
  else await states.addProvenance(plan.sourceId, provenance);
  return { moved, provenance };
}

/**
 * The merge's last transaction: both patients read again and checked, what still references the source moved, the
 * source inactive with its replaced-by link, the target with its replaces link and identifiers, a Provenance of all
 * that, the source recorded as merged (with every Provenance of the merge) and the locks lifted.
 */
export async function finishMerge(tx: Repository, plan: MergePlan): Promise<{ target: Patient; moved: Record<string, number>; provenance: string[] }> {
  const { sourceId, targetId } = plan;
  const states = new MergeStates(tx);
  const batches = await states.batches(plan.merge, sourceId);
  // Lifted inside the transaction first, so the guard lets its own writes through; others see the locks until the commit.
  await states.unlock(plan.merge, [sourceId, targetId]);
  const source = await readIn(tx, sourceId);
  const target = await readIn(tx, targetId);
  await assertMergeable({ source, target, states, repo: tx });
  const referencing = await referencingNow(tx, plan, plan.rules.maxTransactionResources);
  assertWithinLimit(referencing.length, plan.rules);

  const { written, write } = recorder(tx);
  await write('Patient', sourceId, mergedSource(source.patient, targetId), source.doc.vid);
  const stored = await write('Patient', targetId, mergedTarget(plan.result ?? target.patient, source.patient, sourceId, !plan.result), target.doc.vid);
  const moved = await moveAll(referencing, sourceId, targetId, write);
  const provenance = (await tx.privileged().create('Provenance', mergeProvenance('merge', tx.policy, written, sourceId, targetId))).doc._id;
  await states.markMerged(sourceId, targetId, [...batches, provenance]);
  return { target: stored.resource as Patient, moved, provenance: [...batches, provenance] };
}

async function readIn(tx: Repository, id: string): Promise<ResolvedPatient> {
  const doc = await tx.read('Patient', id);
  return { id, doc, patient: JSON.parse(doc.r) as Patient };
}

/**
 * After the commit, resources that reference the source are late arrivals: written by a transaction that began
 * before the lock and committed after the merge read. Each round moves those it finds in a transaction of its own,
 * recorded by its own Provenance (listed with the merge's, so an unmerge undoes it too).
 */
export async function sweep(repo: Repository, plan: MergePlan): Promise<{ moved: Record<string, number>; provenance: string[] }> {
  const moved: Record<string, number> = {};
  const provenance: string[] = [];
  for (let round = 0; round < plan.rules.sweepRounds; round++) {
    const found = await repo.inTransaction((tx) => moveBatch(tx, plan, true));
    if (!found) break;
    addCounts(moved, found.moved);
    provenance.push(found.provenance);
  }
  return { moved, provenance };
}
