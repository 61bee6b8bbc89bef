import type { AccessPolicy } from '../auth/access-policy';
import type { Repository } from '../store/repository';
import type { JobFileStore } from './file-store';
import type { Job, JobCheckpoint, JobFile } from './job';

/** What a worker gives the kind running one of its jobs. */
export interface JobContext<C extends JobCheckpoint> {
  /** The unrestricted system repository: a kind binds it to the job's access (see simple-kind.ts). */
  systemRepo: Repository;
  files: JobFileStore;
  /** Lines per NDJSON file before the next is started. */
  maxLines: number;
  /** Aborted when the job is cancelled, its lease is lost, or the server stops (reason: a JobAborted). */
  signal: AbortSignal;
  /** Stores progress and renews the lease; throws JobAborted when the job is no longer this worker's. */
  checkpoint(checkpoint: C, processed: number): Promise<void>;
}

/**
 * One kind of asynchronous job (`export`, `find-duplicates`, ...): how a worker runs it and how its status and files
 * are reported. Registered in the server's job services (src/jobs/index.ts); the kick-off stores a Job with the kind.
 */
export interface JobKind<Plan = unknown, C extends JobCheckpoint = JobCheckpoint> {
  kind: string;
  /** Runs or resumes (from `job.checkpoint`) the job; resolves with its final checkpoint, whose files the manifest lists. */
  run(job: Job<Plan, C>, ctx: JobContext<C>): Promise<{ checkpoint: C; processed: number }>;
  /** The X-Progress text of a running job (default: the count of items processed). */
  progress?(job: Job<Plan, C>): string;
  /** Beyond owning the job: may this caller download this file? (Export: the token must still read its type.) */
  mayDownload?(policy: AccessPolicy, job: Job<Plan, C>, file: JobFile): boolean;
  /** Who besides the kick-off's access context may see the job and its files (a destruction review: its approvers). */
  sharedWith?(policy: AccessPolicy, job: Job<Plan, C>): boolean;
}

export class JobAborted extends Error {
  constructor(readonly reason: 'cancelled' | 'lease' | 'stopping') {
    super(`job aborted: ${reason}`);
  }
}
