import type { OperationOutcome, Parameters, Patient, Task } from 'fhir/r4';
import { isOperationOutcomeError } from '../errors/operation-outcome-error';
import { simpleKind, type JobServices } from '../jobs';
import { grantOf } from '../jobs/grant';
import type { RouterContext } from '../router/context';
import type { FhirRequest, FhirResult } from '../router/types';
import type { Repository } from '../store/repository';
import { startMerge, type MergeResult, type PreparedMerge } from './merge';
import { addCounts, finishMerge, moveBatch, sweep, total, type MergePlan } from './merge-steps';
import { mergeOutput } from './output';
import type { MergeRules } from './rules';
import { MergeStates } from './state';

/**
 * A merge too large for one transaction, as a job (src/jobs, a simple kind), R5's asynchronous merge: the kick-off
 * locks both patients and answers 202 with the job's status URL and a Task; the job moves the referencing resources
 * in transactions of at most `maxTransactionResources`, each with its Provenance, renewing the locks (its lease on
 * the two records) after each; then the last transaction writes both Patients and records the source as merged;
 * then the sweeps. While it runs, writes touching either patient are refused (409), so no one writes into a record
 * half moved. Every step reads what is stored, so a job resumed elsewhere after a crash or a lost lease carries on
 * where the last committed batch left it. The job's output is one Parameters, the same as a merge in one
 * transaction answers; the Task ends completed (its output the target and the Provenances) or failed (its reason).
 */
export const MERGE_KIND = 'patient-merge';

interface MergeJobParams {
  plan: Omit<MergePlan, 'rules'>;
  task: string;
  input: Parameters;
}

interface MergeJobState {
  moved: Record<string, number>;
}

export const text = (t: string) => ({ text: t });

/**
 * The Task of a merge or unmerge job. The patients are named as text: a Reference to the source would be moved by
 * the merge.
 */
export function patientsTask(operation: string, description: string, plan: { sourceId: string; targetId: string }): Task {
  const now = new Date().toISOString();
  return {
    resourceType: 'Task',
    status: 'in-progress',
    intent: 'order',
    code: text(operation),
    description,
    authoredOn: now,
    lastModified: now,
    input: [
      { type: text('source-patient'), valueString: `Patient/${plan.sourceId}` },
      { type: text('target-patient'), valueString: `Patient/${plan.targetId}` },
    ],
  };
}

export async function endTask(repo: Repository, id: string, end: Pick<Task, 'status' | 'statusReason' | 'output'>): Promise<void> {
  const own = repo.privileged();
  const task = JSON.parse((await own.read('Task', id)).r) as Task;
  const ended: Task = { ...task, ...end, lastModified: new Date().toISOString() };
  await own.update('Task', id, ended);
}

/** The kick-off: locks both patients, stores the Task and queues the job; 202 with R5's outputs and `task`. */
export async function startMergeJob(
  ctx: RouterContext,
  req: FhirRequest,
  opts: { rules: MergeRules; jobs: JobServices; prepared: PreparedMerge; input: Parameters },
): Promise<FhirResult> {
  grantOf(req.policy); // a caller whose access cannot be carried over to a job is refused before anything is written
  const plan = await startMerge(ctx, opts.rules, opts.prepared);
  const { rules: _rules, ...stored } = plan;
  let task: string;
  let accepted: FhirResult;
  try {
    task = (
      await ctx.repo.privileged().create('Task', patientsTask('Patient/$merge', `Merge of Patient/${stored.sourceId} into Patient/${stored.targetId}, as a job`, stored))
    ).doc._id;
    accepted = await opts.jobs.startJob<MergeJobParams>(ctx, req, MERGE_KIND, { plan: stored, task, input: opts.input });
  } catch (err) {
    await new MergeStates(ctx.repo).unlock(plan.merge, [plan.sourceId, plan.targetId]);
    throw err;
  }
  const body: Parameters = {
    resourceType: 'Parameters',
    parameter: [
      { name: 'input', resource: opts.input },
      { name: 'outcome', resource: accepted.body as OperationOutcome },
      { name: 'task', valueReference: { reference: `Task/${task}` } },
    ],
  };
  return { ...accepted, body };
}

/** The job kind, registered with the job services (src/services.ts). */
export function mergeJobKind(rules: MergeRules) {
  return simpleKind<MergeJobParams, MergeJobState>({
    kind: MERGE_KIND,
    async run(job, ctx) {
      const { task, input } = job.plan.params;
      const plan: MergePlan = { ...job.plan.params.plan, rules };
      const repo = ctx.repo;
      const states = new MergeStates(repo);
      let moved = { ...(ctx.state?.moved ?? {}) };
      try {
        let provenance: string[];
        if ((await states.get(plan.sourceId))?.mergedInto !== plan.targetId) {
          for (;;) {
            if (ctx.signal.aborted) throw ctx.signal.reason;
            // Renews the lease on both records (or takes them back after it lapsed, unless another merge has).
            await states.lock(plan.merge, plan.sourceId, plan.targetId, rules.lockSeconds);
            const batch = await repo.inTransaction((tx) => moveBatch(tx, plan, false));
            if (!batch) break;
            moved = addCounts(moved, batch.moved);
            await ctx.checkpoint({ moved }, total(moved));
          }
          const done = await repo.inTransaction((tx) => finishMerge(tx, plan));
          moved = addCounts(moved, done.moved);
          provenance = done.provenance;
        } else provenance = (await states.get(plan.sourceId))?.provenance ?? [];
        const late = await sweep(repo, plan);
        const target = JSON.parse((await repo.read('Patient', plan.targetId)).r) as Patient;
        const result: MergeResult = {
          preview: false,
          sourceId: plan.sourceId,
          targetId: plan.targetId,
          target,
          moved: addCounts(moved, late.moved),
          provenance: [...provenance, ...late.provenance],
          swept: total(late.moved),
        };
        await endTask(repo, task, {
          status: 'completed',
          output: [
            { type: text('result'), valueReference: { reference: `Patient/${plan.targetId}/_history/${target.meta?.versionId}` } },
            ...result.provenance.map((p) => ({ type: text('provenance'), valueReference: { reference: `Provenance/${p}` } })),
          ],
        });
        await ctx.write('Parameters', mergeOutput(input, result));
        return total(result.moved);
      } catch (err) {
        if (!ctx.signal.aborted) {
          const reason = isOperationOutcomeError(err) ? err.message : 'an internal error';
          await endTask(repo, task, {
            status: 'failed',
            statusReason: text(`The merge stopped: ${reason}. What it moved so far stays on the target; merging again completes it`),
          });
        }
        throw err;
      }
    },
    progress: (job) => `${job.processed ?? 0} resources moved to Patient/${job.plan.params.plan.targetId}`,
  });
}
