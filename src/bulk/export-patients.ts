import type { Filter } from 'mongodb';
import type { StoredDocument } from '../store/stored-document';
import type { ExportJob } from './export-job';
import { type RunContext, typeFilter } from './run-export';

/**
 * The patients a completed export included, for what the server records about it (src/disclosures/export-completion.ts):
 * the job's patient list when it has one (a Group, the `patient` parameter, a patient-bound token), otherwise every
 * patient the compartments of the resources it read name, found by reading `c` of each type under the filters the
 * export read with (its type filters, granular scopes, all-patients bound and `_since`).
 */
export async function patientsOf(job: ExportJob, ctx: Pick<RunContext, 'repo' | 'compileFilter'>): Promise<string[]> {
  if (job.plan.patients) return job.plan.patients;
  const ids = new Set<string>();
  for (const type of job.plan.types) {
    const read = await typeFilter(ctx, job.plan, type);
    const live: Filter<StoredDocument> = { del: false, ...(job.plan.since ? { lu: { $gte: job.plan.since } } : {}) };
    for await (const doc of ctx.repo.findVersions(type, read ? { $and: [read, live] } : live, { projection: { c: 1 } })) {
      for (const c of doc.c ?? []) if (c.startsWith('Patient/')) ids.add(c.slice(8));
    }
  }
  return [...ids].sort();
}
