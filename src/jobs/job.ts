import type { Recipient } from '../auth/client-registration';
import type { Lease } from './lease';

/**
 * An asynchronous job (`$export` and every other operation that answers 202 and is polled): stored in the shared
 * `bulk_jobs` collection, so any server instance can run, resume, report or cancel it.
 */

/** One file of a job's output, as listed in its manifest. */
export interface JobFile {
  /** Storage name within the job, e.g. `Patient-2.ndjson`. */
  name: string;
  /** Resource type of its lines (`Bundle` for deletions, `OperationOutcome` for errors). */
  type: string;
  kind: 'output' | 'deleted' | 'error';
  count: number;
}

/** Where a running job is: what its kind needs to resume, and the files completed so far. */
export interface JobCheckpoint {
  files: JobFile[];
}

/**
 * How the kick-off token may be told apart from others of the same SMART app (whose patients and users all share
 * its client_id): `patient` for a token bound to a patient compartment (patient/ scopes with a launch patient, or a
 * patient's own login), `user` for unbound user/ scopes, `system` for Backend Services.
 */
export type AccessContext = 'system' | 'user' | 'patient';

export interface JobOwner {
  /** The kick-off token's issuer; absent on jobs stored before it was recorded, which then match no token. */
  issuer?: string;
  clientId?: string;
  user?: string;
  /** Auth was off at kick-off: anyone may reach the job. */
  open: boolean;
  /** Absent on jobs stored before it was recorded: treated as matching no patient-bound token. */
  context?: AccessContext;
  /** The patient compartment bound of a `patient` token, sorted. */
  patients?: string[];
  /**
   * For the accounting of disclosures: the organisation outside the covered entity the kick-off's client is registered
   * to act for, and the token's purpose of use, as they were at kick-off (src/disclosures/export-completion.ts).
   */
  recipient?: Recipient;
  purposeOfUse?: string[];
}

export type JobStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface Job<Plan = unknown, Checkpoint extends JobCheckpoint = JobCheckpoint> extends Lease {
  _id: string;
  /** Which JobKind runs it; absent on export jobs stored before there were other kinds. */
  kind?: string;
  status: JobStatus;
  /** Kick-off URL, for the manifest's `request`. */
  request: string;
  transactionTime: Date;
  createdAt: Date;
  /** When the job and its files are removed. */
  expiresAt: Date;
  /** The access context of the kick-off: who may poll, download and cancel (see access-context.ts mayAccess). */
  owner: JobOwner;
  /** Everything the kind needs, fixed at kick-off so any instance can run or resume the job. */
  plan: Plan;
  checkpoint: Checkpoint;
  /** Items done so far (resources exported, patients compared, ...), for X-Progress. */
  processed: number;
  error?: string;
}

export const EXPORT_KIND = 'export';

export const kindOf = (job: Pick<Job, 'kind'>): string => job.kind ?? EXPORT_KIND;
