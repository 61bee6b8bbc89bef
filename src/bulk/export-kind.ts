import type { AccessPolicy } from '../auth/access-policy';
import { EXPORT_KIND, type JobOwner } from '../jobs/job';
import type { JobKind } from '../jobs/kind';
import { mayDownload } from './authorization';
import type { Checkpoint, ExportJob, ExportPlan } from './export-job';
import { patientsOf } from './export-patients';
import { runExport, type FilterCompiler, type LineExpander } from './run-export';

/**
 * Called when an export has written all its files, before the job is marked completed (a failure fails the job):
 * `patients` reads which patients it included, only if asked. The accounting of disclosures records them.
 */
export type ExportCompletion = (job: ExportJob, patients: () => Promise<string[]>) => Promise<void>;

/**
 * Whether the job's patient list selects a cohort for a system or user-level client (a Group, the `patient`
 * parameter), which the worker then reads with resources listing several of them (a Group, a multi-patient
 * AuditEvent) included. Not for a patient-bound token: its export is read under the same bound as its searches.
 */
export function selectsCohort(owner: JobOwner): boolean {
  return owner.open || owner.context === 'system' || owner.context === 'user';
}

/**
 * What a worker runs jobs with: the patient bound fixed at kick-off, types already authorised then. A job of a
 * patient-bound token reads under the same compartment rule as that token's searches (no Group or AuditEvent naming
 * another patient); only a system or user-level client's patient list is a cohort (see selectsCohort).
 */
export function exportPolicy(job: ExportJob): AccessPolicy {
  return {
    clientId: job.owner.clientId,
    user: job.owner.user,
    scopes: [],
    unrestricted: false,
    patientIds: job.plan.patients,
    patientCohort: selectsCohort(job.owner),
    allows: (type, interaction) => interaction === 'read' && job.plan.types.includes(type),
    searchRestrictions: () => undefined,
  };
}

function progress(job: ExportJob): string {
  if (job.status === 'queued') return 'queued';
  const types = job.plan.types.length;
  return `in progress: ${job.processed ?? 0} resources, type ${Math.min(job.checkpoint.typeIndex + 1, types)} of ${types}`;
}

/** `$export` as a job kind: the plan fixed at kick-off (src/bulk/kickoff.ts), run by src/bulk/run-export.ts. */
export function exportKind(compileFilter?: FilterCompiler, onComplete?: ExportCompletion, expandLine?: LineExpander): JobKind<ExportPlan, Checkpoint> {
  return {
    kind: EXPORT_KIND,
    run: async (job, ctx) => {
      const run = {
        repo: ctx.systemRepo.as(exportPolicy(job)),
        files: ctx.files,
        maxLines: ctx.maxLines,
        compileFilter,
        expandLine,
        signal: ctx.signal,
        checkpoint: ctx.checkpoint,
      };
      const result = await runExport(job, run);
      await onComplete?.(job, () => patientsOf(job, run));
      return result;
    },
    progress,
    // The token polling may differ from the kick-off's (refreshed, narrowed): it must still read what a file holds.
    mayDownload: (policy, job, file) => file.kind === 'error' || mayDownload(policy, job.plan, file.type),
  };
}
