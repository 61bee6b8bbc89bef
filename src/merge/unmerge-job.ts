import { randomUUID } from 'node:crypto';
import type { OperationOutcome, Parameters, Patient } from 'fhir/r4';
import { isOperationOutcomeError, unprocessable } from '../errors/operation-outcome-error';
import { simpleKind, type JobServices } from '../jobs';
import { grantOf } from '../jobs/grant';
import type { RouterContext } from '../router/context';
import type { FhirRequest, FhirResult } from '../router/types';
import type { Repository } from '../store/repository';
import { endTask, patientsTask, text } from './merge-job';
import { addCounts, total } from './merge-steps';
import { unmergeOutput } from './output';
import { mergeProvenance, mergeRecord } from './provenance';
import type { MergeRules } from './rules';
import { MergeStates } from './state';
import { OPERATION, changedSince, countByType, partition, restorePatients, restorer, undosOf, type PreparedUnmerge, type Undo, type UnmergeResult } from './unmerge';

/**
 * An unmerge too large for one transaction, as a job, the way a large merge runs (merge-job.ts): the kick-off locks
 * both patients and checks, under the lock, that no moved resource changed since the merge (409 listing them, unless
 * they are to stay on the target), then answers 202 with the job's status URL and a Task. The job restores the moved
 * resources in transactions of at most `maxTransactionResources`, each with its Provenance, renewing the locks after
 * each; the last transaction restores both Patients, records the source as no longer merged and lifts the locks.
 * While it runs, writes touching either patient are refused (409) and the source still counts as merged (its
 * `$everything` says where the record went), so no one writes into a record half restored. Each batch reads what is
 * stored (a resource still as the merge wrote it is yet to restore), so a job resumed after a crash or a lost lease
 * carries on where the last committed batch left it. Its output is the Parameters an unmerge in one transaction
 * answers; the Task ends completed or failed.
 */
export const UNMERGE_KIND = 'patient-unmerge';

interface UnmergePlan {
  sourceId: string;
  targetId: string;
  /** The unmerge's id: its locks are this unmerge's. */
  unmerge: string;
  /** Moved resources changed since the merge, left on the target (`Type/id`). */
  kept: string[];
}

interface UnmergeJobParams {
  plan: UnmergePlan;
  task: string;
}

interface UnmergeJobState {
  /** Index in the merge's record (its versions, in order) of the first not yet looked at. */
  next: number;
  restored: Record<string, number>;
}

const isPatientOf = (plan: UnmergePlan, type: string, id: string) => type === 'Patient' && (id === plan.sourceId || id === plan.targetId);

/** The kick-off: locks both patients, checks under the lock what changed since the merge, stores the Task, queues the job. */
export async function startUnmergeJob(
  ctx: RouterContext,
  req: FhirRequest,
  opts: { rules: MergeRules; jobs: JobServices; prepared: PreparedUnmerge; keepChanged: boolean },
): Promise<FhirResult> {
  grantOf(req.policy); // a caller whose access cannot be carried over to a job is refused before anything is written
  const { source, target, written } = opts.prepared;
  await ctx.repo.ensureTypes(['Provenance', 'Task', ...written.map((w) => w.type)]);
  const unmerge = randomUUID();
  const states = new MergeStates(ctx.repo);
  await states.lock(unmerge, source.id, target.id, opts.rules.lockSeconds);
  let task: string;
  let accepted: FhirResult;
  try {
    // Under the lock: nothing the merge moved can change between this check and the job.
    const { kept } = partition(await undosOf(ctx.repo.privileged(), written), source.id, target.id, opts.keepChanged);
    const plan: UnmergePlan = { sourceId: source.id, targetId: target.id, unmerge, kept };
    task = (await ctx.repo.privileged().create('Task', patientsTask(OPERATION, `Unmerge of Patient/${plan.sourceId} from Patient/${plan.targetId}, as a job`, plan))).doc
      ._id;
    accepted = await opts.jobs.startJob<UnmergeJobParams>(ctx, req, UNMERGE_KIND, { plan, task });
  } catch (err) {
    await states.unlock(unmerge, [source.id, target.id]);
    throw err;
  }
  const body: Parameters = {
    resourceType: 'Parameters',
    parameter: [
      { name: 'outcome', resource: accepted.body as OperationOutcome },
      { name: 'task', valueReference: { reference: `Task/${task}` } },
    ],
  };
  return { ...accepted, body };
}

/**
 * Inside `tx`: restores up to `maxTransactionResources - 1` moved resources still as the merge wrote them, from
 * `next` in the merge's record on, records them in a Provenance of their own and adds it to the unmerge's lock.
 * Undefined when none is left (or the source is no longer merged: a resumed job whose last step committed).
 */
async function restoreBatch(tx: Repository, plan: UnmergePlan, rules: MergeRules, next: number) {
  const states = new MergeStates(tx);
  const state = await states.get(plan.sourceId);
  if (state?.mergedInto !== plan.targetId || !state.provenance) return undefined;
  const server = tx.privileged();
  const written = await mergeRecord(server, state.provenance);
  const kept = new Set(plan.kept);
  const batch: Undo[] = [];
  let at = next;
  for (; at < written.length && batch.length < rules.maxTransactionResources - 1; at++) {
    const w = written[at];
    if (isPatientOf(plan, w.type, w.id) || kept.has(`${w.type}/${w.id}`)) continue;
    const [undo] = await undosOf(server, [w]);
    // Changed since the merge (content, as unmerge.ts judges it): restored by a batch committed before the job resumed.
    if (!changedSince(undo)) batch.push(undo);
  }
  if (!batch.length) return undefined;
  const relock = await states.suspend(plan.unmerge, plan.sourceId, plan.targetId);
  const remerge = await states.suspendMerged(plan.sourceId);
  const { put, versions } = restorer(tx);
  for (const u of batch) await put(u);
  const provenance = (await server.create('Provenance', mergeProvenance('unmerge', tx.policy, versions, plan.sourceId, plan.targetId, state.provenance))).doc._id;
  await remerge();
  await relock(provenance);
  return { next: at, restored: countByType(batch) };
}

/** The last transaction: both Patients restored, the source no longer merged, the locks lifted, its Provenance. */
async function finishUnmerge(tx: Repository, plan: UnmergePlan): Promise<{ source: Patient; target: Patient; provenance: string[] }> {
  const states = new MergeStates(tx);
  const state = await states.get(plan.sourceId);
  if (state?.mergedInto !== plan.targetId || !state.provenance) throw unprocessable(`Patient/${plan.sourceId} is no longer merged into Patient/${plan.targetId}`);
  const batches = await states.batches(plan.unmerge, plan.sourceId);
  await states.unlock(plan.unmerge, [plan.sourceId, plan.targetId]);
  await states.clearMerged(plan.sourceId);
  const server = tx.privileged();
  const patients = (await mergeRecord(server, state.provenance)).filter((w) => isPatientOf(plan, w.type, w.id));
  const undos = await undosOf(server, patients);
  const find = (id: string) => undos.find((u) => u.written.id === id);
  const sourceUndo = find(plan.sourceId);
  const targetUndo = find(plan.targetId);
  if (!sourceUndo || !targetUndo)
    throw unprocessable(`The record of the merge does not name both Patient/${plan.sourceId} and Patient/${plan.targetId}: it cannot be undone`);
  const { put, versions } = restorer(tx);
  const restored = await restorePatients(put, sourceUndo, targetUndo, plan.sourceId);
  const provenance = (await server.create('Provenance', mergeProvenance('unmerge', tx.policy, versions, plan.sourceId, plan.targetId, state.provenance))).doc._id;
  return { ...restored, provenance: [...batches, provenance] };
}

/** The job kind, registered with the job services (src/services.ts). */
export function unmergeJobKind(rules: MergeRules) {
  return simpleKind<UnmergeJobParams, UnmergeJobState>({
    kind: UNMERGE_KIND,
    async run(job, ctx) {
      const { plan, task } = job.plan.params;
      const repo = ctx.repo;
      const states = new MergeStates(repo);
      let state: UnmergeJobState = ctx.state ?? { next: 0, restored: {} };
      try {
        let provenance: string[] = [];
        if ((await states.get(plan.sourceId))?.mergedInto === plan.targetId) {
          for (;;) {
            if (ctx.signal.aborted) throw ctx.signal.reason;
            // Renews the lease on both records (or takes them back after it lapsed, unless a merge has).
            await states.lock(plan.unmerge, plan.sourceId, plan.targetId, rules.lockSeconds);
            const batch = await repo.inTransaction((tx) => restoreBatch(tx, plan, rules, state.next));
            if (!batch) break;
            state = { next: batch.next, restored: addCounts({ ...state.restored }, batch.restored) };
            await ctx.checkpoint(state, total(state.restored));
          }
          provenance = (await repo.inTransaction((tx) => finishUnmerge(tx, plan))).provenance;
        }
        const read = async (id: string) => JSON.parse((await repo.read('Patient', id)).r) as Patient;
        const result: UnmergeResult = {
          preview: false,
          source: await read(plan.sourceId),
          target: await read(plan.targetId),
          restored: state.restored,
          kept: plan.kept,
          provenance: provenance.at(-1),
        };
        await endTask(repo, task, {
          status: 'completed',
          output: [
            { type: text('source'), valueReference: { reference: `Patient/${plan.sourceId}/_history/${result.source.meta?.versionId}` } },
            ...provenance.map((p) => ({ type: text('provenance'), valueReference: { reference: `Provenance/${p}` } })),
          ],
        });
        await ctx.write('Parameters', unmergeOutput(result));
        return total(state.restored);
      } catch (err) {
        if (!ctx.signal.aborted) {
          const reason = isOperationOutcomeError(err) ? err.message : 'an internal error';
          await endTask(repo, task, {
            status: 'failed',
            statusReason: text(`The unmerge stopped: ${reason}. What it restored so far is restored; the rest stays on the target until it is run again`),
          });
        }
        throw err;
      }
    },
    progress: (job) => `${job.processed ?? 0} resources restored to Patient/${job.plan.params.plan.sourceId}`,
  });
}
