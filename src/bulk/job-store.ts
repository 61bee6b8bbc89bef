import type { Collection, Db } from 'mongodb';
import type { ExportLevel } from './parameters';

export const JOBS_COLLECTION = 'bulk_jobs';

/** One file of a job's output, as listed in the manifest. */
export interface ExportFile {
  /** Storage name within the job, e.g. `Patient-2.ndjson`. */
  name: string;
  /** Resource type of its lines (`Bundle` for deletions, `OperationOutcome` for errors). */
  type: string;
  kind: 'output' | 'deleted' | 'error';
  count: number;
}

/**
 * A problem the export went on despite, one OperationOutcome line of the manifest's error file: a bare message is
 * something not supported (a parameter ignored under lenient handling, a type left out), its issue code
 * `not-supported`; Group members that resolve to no Patient are `not-found`.
 */
export type ExportWarning = string | { code: 'not-found'; message: string };

/** Everything the worker needs, fixed at kick-off so any instance can run or resume the job. */
export interface ExportPlan {
  level: ExportLevel;
  groupId?: string;
  types: string[];
  /** Patient compartment bound; undefined = no bound (system level, or all patients with `anyPatient`). */
  patients?: string[];
  /** Patient level over every patient: only resources in some patient's compartment. */
  anyPatient: boolean;
  since?: Date;
  /** Versions up to this instant are exported: the transactionTime (or `_until`, when earlier). */
  until: Date;
  elements?: string[];
  /** Per type, OR-ed `_typeFilter` queries, as query-string text. */
  typeFilters: Record<string, string[]>;
  /** Per type, OR-ed SMART granular scope restrictions, ANDed with the type filters. */
  restrictions: Record<string, string[]>;
  warnings: ExportWarning[];
}

/** Where a running job is: everything before it is in completed files. */
export interface Checkpoint {
  typeIndex: number;
  /** Last resource id of the type written to a completed file; undefined = type not started. */
  afterId?: string;
  files: ExportFile[];
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
}

export type JobStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface ExportJob {
  _id: string;
  status: JobStatus;
  /** Kick-off URL, for the manifest's `request`. */
  request: string;
  transactionTime: Date;
  createdAt: Date;
  /** When the job and its files are removed. */
  expiresAt: Date;
  /** The access context of the kick-off: who may poll, download and cancel (see access-context.ts mayAccess). */
  owner: JobOwner;
  plan: ExportPlan;
  checkpoint: Checkpoint;
  /** Resources written so far, for X-Progress. */
  exported: number;
  leaseOwner?: string;
  leaseUntil: Date;
  error?: string;
}

const EPOCH = new Date(0);

/** Jobs in MongoDB, so several instances share them; the lease makes one instance at a time run a job. */
export class JobStore {
  readonly jobs: Collection<ExportJob>;

  constructor(db: Db) {
    this.jobs = db.collection<ExportJob>(JOBS_COLLECTION);
  }

  async init(): Promise<void> {
    await this.jobs.createIndexes([
      { key: { status: 1, leaseUntil: 1, createdAt: 1 }, name: 'claimable' },
      { key: { expiresAt: 1 }, name: 'expiry' },
    ]);
  }

  async insert(job: Omit<ExportJob, 'leaseUntil' | 'checkpoint' | 'exported' | 'status'>): Promise<ExportJob> {
    const doc: ExportJob = { ...job, status: 'queued', leaseUntil: EPOCH, checkpoint: { typeIndex: 0, files: [] }, exported: 0 };
    await this.jobs.insertOne(doc);
    return doc;
  }

  get(id: string): Promise<ExportJob | null> {
    return this.jobs.findOne({ _id: id });
  }

  /** Takes the oldest queued job, or a running one whose owner stopped renewing its lease (crashed instance). */
  async claim(owner: string, leaseMs: number): Promise<ExportJob | null> {
    const now = new Date();
    return this.jobs.findOneAndUpdate(
      { status: { $in: ['queued', 'running'] }, leaseUntil: { $lt: now } },
      { $set: { status: 'running', leaseOwner: owner, leaseUntil: new Date(now.getTime() + leaseMs) } },
      { sort: { createdAt: 1 }, returnDocument: 'after' },
    );
  }

  /**
   * False when the lease is gone: the job was cancelled, released, or another instance took it over. A renewal that
   * reaches the store after this owner's release must not take the lease back (the next instance would wait it out).
   */
  async renew(id: string, owner: string, leaseMs: number): Promise<boolean> {
    const res = await this.jobs.updateOne(
      { _id: id, status: 'running', leaseOwner: owner, leaseUntil: { $gt: EPOCH } },
      { $set: { leaseUntil: new Date(Date.now() + leaseMs) } },
    );
    return res.matchedCount === 1;
  }

  async checkpoint(id: string, owner: string, checkpoint: Checkpoint, exported: number, leaseMs: number): Promise<boolean> {
    const res = await this.jobs.updateOne(
      { _id: id, status: 'running', leaseOwner: owner },
      { $set: { checkpoint, exported, leaseUntil: new Date(Date.now() + leaseMs) } },
    );
    return res.matchedCount === 1;
  }

  /** Hands the job back (clean shutdown) so another instance resumes it at once from its checkpoint. */
  async release(id: string, owner: string): Promise<void> {
    await this.jobs.updateOne({ _id: id, status: 'running', leaseOwner: owner }, { $set: { leaseUntil: EPOCH } });
  }

  async finish(id: string, owner: string, update: Partial<Pick<ExportJob, 'status' | 'checkpoint' | 'exported' | 'error' | 'expiresAt'>>): Promise<boolean> {
    const res = await this.jobs.updateOne({ _id: id, status: 'running', leaseOwner: owner }, { $set: { ...update, leaseUntil: EPOCH } });
    return res.matchedCount === 1;
  }

  /** Marks a job cancelled; returns the job as it was, so the caller knows whether a worker is still on it. */
  cancel(id: string): Promise<ExportJob | null> {
    return this.jobs.findOneAndUpdate({ _id: id, status: { $ne: 'cancelled' } }, { $set: { status: 'cancelled' } }, { returnDocument: 'before' });
  }

  async remove(id: string): Promise<void> {
    await this.jobs.deleteOne({ _id: id });
  }

  /**
   * Ids of jobs to delete now (at most 100 at a time): expired ones no worker is running, and cancelled ones whose
   * worker is gone. Ids only: a job's plan may list a large Group's every patient.
   */
  async disposable(now = new Date()): Promise<string[]> {
    const jobs = await this.jobs
      .find(
        {
          $or: [
            { expiresAt: { $lt: now }, status: { $in: ['completed', 'failed', 'cancelled'] } },
            { status: 'cancelled', leaseUntil: { $lt: now } },
          ],
        },
        { projection: { _id: 1 } },
      )
      .limit(100)
      .toArray();
    return jobs.map((j) => j._id);
  }
}
