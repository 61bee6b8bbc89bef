import { setTimeout as sleep } from 'node:timers/promises';
import type { ExportPlan } from '../bulk/export-job';
import type { JobFileStore } from '../jobs/file-store';
import { EXPORT_KIND } from '../jobs/job';
import type { JobStore } from '../jobs/job-store';

/**
 * The export jobs that may hold a destroyed record, and their files, go: every export started before the last
 * record went whose plan covers a destroyed patient, i.e. one naming it in its patient list (Patient and Group
 * exports) and every export without one (system level, all patients). Checking the files' lines instead would read
 * every export there is and still miss the one being written; an export is a copy made for a client, who may run
 * it again. A running export is cancelled and waited for (its worker stops at its next checkpoint and removes
 * what it wrote) until its lease would have lapsed, then its files are removed here.
 */
export async function discardExports(jobs: JobStore, files: JobFileStore, holds: (patientId: string) => boolean, before: Date, leaseMs: number): Promise<string[]> {
  const candidates = await jobs.jobs
    .find({ $or: [{ kind: EXPORT_KIND }, { kind: { $exists: false } }], createdAt: { $lt: before } }, { projection: { _id: 1, 'plan.patients': 1 } })
    .toArray();
  const discarded: string[] = [];
  for (const job of candidates) {
    const patients = (job.plan as Pick<ExportPlan, 'patients'> | undefined)?.patients;
    if (patients && !patients.some(holds)) continue;
    const was = await jobs.cancel(job._id);
    if (was?.status === 'running') await waitForWorker(jobs, job._id, leaseMs);
    await files.remove(job._id);
    await jobs.remove(job._id);
    discarded.push(job._id);
  }
  return discarded;
}

/** Until the worker of a cancelled job has removed it, or its lease has lapsed (the worker is gone). */
async function waitForWorker(jobs: JobStore, id: string, leaseMs: number): Promise<void> {
  const until = Date.now() + leaseMs;
  while (Date.now() < until) {
    const job = await jobs.get(id);
    if (!job || job.leaseUntil.getTime() < Date.now()) return;
    await sleep(Math.min(200, leaseMs));
  }
}
