import { randomUUID } from 'node:crypto';
import type { Patient, Resource } from 'fhir/r4';
import { unprocessable } from '../errors/operation-outcome-error';
import type { RouterContext } from '../router/context';
import type { Repository } from '../store/repository';
import { assertMayMerge } from './authorize';
import { assertMergeable } from './checks';
import { countReferencing, findReferencing, movedResource, type ReferencingDoc } from './moves';
import type { MergeRequest } from './parameters';
import { checkResultPatient, mergedSource, mergedTarget } from './patients';
import { mergeProvenance, type WrittenVersion } from './provenance';
import { resolvePatient, type ResolvedPatient } from './resolve';
import type { MergeRules } from './rules';
import { MergeStates, ensureMergeStateCollection } from './state';

const OPERATION = 'Patient/$merge';

export interface MergeResult {
  preview: boolean;
  sourceId: string;
  targetId: string;
  /** The target as stored after the merge (or, in a preview, as it would be). */
  target: Patient;
  /** Resources moved (or that would be), by type; the two Patients are not counted. */
  moved: Record<string, number>;
  /** The Provenances recording the merge: its own, then one per sweep that moved late arrivals. */
  provenance: string[];
  /** Resources a racing write created referencing the source while the merge ran, moved after its commit. */
  swept: number;
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/**
 * Patient/$merge, in one transaction (up to `maxTransactionResources` resources):
 * 1. the caller's grants (authorize.ts), both patients (resolve.ts) and the business rules (checks.ts);
 * 2. the resources referencing the source, counted per type through the `_patient-ref` index; the caller's grants
 *    on those types; the size limit; a preview stops here;
 * 3. a lock on both patients (state.ts), committed first, so writes touching either record are refused (409) while
 *    the merge runs instead of slipping past it;
 * 4. one transaction: every referencing resource rewritten to the target (a new version each), the source inactive
 *    with a `replaced-by` link, the target with a `replaces` link and the source's identifiers, a Provenance listing
 *    every version written, the source recorded as merged and the lock lifted. A conflict with a concurrent write
 *    retries the whole transaction (the driver's withTransaction);
 * 5. sweeps: a write that began before the lock and committed after the transaction read may have left a new
 *    reference to the source; each sweep looks again and moves what it finds, with a Provenance of its own.
 */
export async function mergePatients(ctx: RouterContext, rules: MergeRules, req: MergeRequest): Promise<MergeResult> {
  const policy = ctx.repo.policy;
  assertMayMerge(policy, OPERATION);
  const source = await resolvePatient(ctx, req.source);
  const target = await resolvePatient(ctx, req.target);
  const states = new MergeStates(ctx.repo);
  await assertMergeable({ source, target, states });
  const result = req.resultPatient && checkResultPatient(req.resultPatient, target.id, [...req.source.identifiers, ...req.target.identifiers]);
  if (result) await ctx.validation.assertValid(mergedTarget(result, source.patient, source.id, false), ctx.repo, 'update');

  const server = ctx.repo.privileged();
  const types = ctx.servedTypes();
  const skip = [source.id, target.id];
  const moved = await countReferencing(server, types, rules, source.id, await keptPatients(states, source.id, target.id));
  assertMayMerge(policy, OPERATION, Object.keys(moved));
  assertWithinLimit(total(moved), rules);
  if (req.preview) {
    return {
      preview: true,
      sourceId: source.id,
      targetId: target.id,
      target: mergedTarget(result ?? target.patient, source.patient, source.id, !result),
      moved,
      provenance: [],
      swept: 0,
    };
  }

  await ensureMergeStateCollection(ctx.repo.db);
  await ctx.repo.ensureTypes([...Object.keys(moved), 'Patient', 'Provenance']);
  const merge = randomUUID();
  await states.lock(merge, source.id, target.id, rules.lockSeconds);
  let done: { target: Patient; moved: Record<string, number>; provenance: string };
  try {
    done = await ctx.repo.inTransaction(async (tx) => {
      // Lifted inside the transaction first, so the guard lets this transaction's own writes through; others still
      // see the lock until the commit.
      await new MergeStates(tx).unlock(merge, skip);
      return applyMerge(tx, { rules, types, result, sourceId: source.id, targetId: target.id });
    });
  } catch (err) {
    await states.unlock(merge, skip);
    throw err;
  }
  const late = await sweep(ctx, rules, types, source.id, target.id);
  for (const [type, n] of Object.entries(late.moved)) done.moved[type] = (done.moved[type] ?? 0) + n;
  return {
    preview: false,
    sourceId: source.id,
    targetId: target.id,
    target: done.target,
    moved: done.moved,
    provenance: [done.provenance, ...late.provenance],
    swept: total(late.moved),
  };
}

/** Patients that reference the source but are not moved (see countReferencing). */
async function keptPatients(states: MergeStates, sourceId: string, targetId: string): Promise<string[]> {
  return [sourceId, targetId, ...(await states.mergedInto(sourceId))];
}

function assertWithinLimit(count: number, rules: MergeRules): void {
  if (count + 2 > rules.maxTransactionResources) {
    throw unprocessable(
      `The merge would change ${count + 2} resources, more than the ${rules.maxTransactionResources} one transaction may hold ` +
        '(MERGE_MAX_TRANSACTION_RESOURCES); merging larger records asynchronously is not available yet',
    );
  }
}

interface MergePlan {
  rules: MergeRules;
  types: string[];
  result?: Patient;
  sourceId: string;
  targetId: string;
}

/** The merge itself, inside `tx`: everything read again in the transaction's snapshot, then written. */
async function applyMerge(tx: Repository, plan: MergePlan): Promise<{ target: Patient; moved: Record<string, number>; provenance: string }> {
  const { rules, sourceId, targetId } = plan;
  const source = await readIn(tx, sourceId);
  const target = await readIn(tx, targetId);
  await assertMergeable({ source, target, states: new MergeStates(tx) });
  const kept = await keptPatients(new MergeStates(tx), sourceId, targetId);
  const referencing = await findReferencing(tx.privileged(), plan.types, rules, sourceId, kept, rules.maxTransactionResources);
  assertMayMerge(
    tx.policy,
    OPERATION,
    referencing.map((r) => r.type),
  );
  assertWithinLimit(referencing.length, rules);

  const written: WrittenVersion[] = [];
  const write = async (type: string, id: string, resource: Resource, vid: number) => {
    const w = await tx.update(type, id, resource, { ifMatch: vid });
    written.push({ type, id, vid: w.doc.vid });
    return w;
  };
  await write('Patient', sourceId, mergedSource(source.patient, targetId), source.doc.vid);
  const stored = await write('Patient', targetId, mergedTarget(plan.result ?? target.patient, source.patient, sourceId, !plan.result), target.doc.vid);
  const moved = await moveAll(referencing, sourceId, targetId, write);
  const provenance = await tx.privileged().create('Provenance', mergeProvenance('merge', tx.policy, written, sourceId, targetId));
  await new MergeStates(tx).markMerged(sourceId, targetId, provenance.doc._id);
  return { target: stored.resource as Patient, moved, provenance: provenance.doc._id };
}

type Write = (type: string, id: string, resource: Resource, vid: number) => Promise<unknown>;

async function moveAll(referencing: ReferencingDoc[], sourceId: string, targetId: string, write: Write): Promise<Record<string, number>> {
  const moved: Record<string, number> = {};
  for (const { type, doc } of referencing) {
    await write(type, doc._id, movedResource(JSON.parse(doc.r) as Resource, sourceId, targetId), doc.vid);
    moved[type] = (moved[type] ?? 0) + 1;
  }
  return moved;
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
async function sweep(ctx: RouterContext, rules: MergeRules, types: string[], sourceId: string, targetId: string) {
  const moved: Record<string, number> = {};
  const provenance: string[] = [];
  for (let round = 0; round < rules.sweepRounds; round++) {
    const found = await ctx.repo.inTransaction(async (tx) => {
      const kept = await keptPatients(new MergeStates(tx), sourceId, targetId);
      const referencing = await findReferencing(tx.privileged(), types, rules, sourceId, kept, rules.maxTransactionResources);
      if (!referencing.length) return undefined;
      assertMayMerge(
        tx.policy,
        OPERATION,
        referencing.map((r) => r.type),
      );
      const written: WrittenVersion[] = [];
      const counts = await moveAll(referencing, sourceId, targetId, async (type, id, resource, vid) => {
        written.push({ type, id, vid: (await tx.update(type, id, resource, { ifMatch: vid })).doc.vid });
      });
      const prov = await tx.privileged().create('Provenance', mergeProvenance('merge', tx.policy, written, sourceId, targetId));
      await new MergeStates(tx).addProvenance(sourceId, prov.doc._id);
      return { counts, provenance: prov.doc._id };
    });
    if (!found) break;
    for (const [type, n] of Object.entries(found.counts)) moved[type] = (moved[type] ?? 0) + n;
    provenance.push(found.provenance);
  }
  return { moved, provenance };
}
