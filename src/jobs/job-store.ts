import type { Collection, Db, Filter } from 'mongodb';
import type { Job, JobCheckpoint } from './job';
import { leaseFree, leaseTo, RELEASED } from './lease';

/** What a listing of jobs shows: no plan (it may list a large Group's every patient), no checkpoint. */
export type JobSummary = Pick<Job, '_id' | 'kind' | 'status' | 'request' | 'createdAt' | 'processed' | 'error' | 'owner'>;
const SUMMARY = { _id: 1, kind: 1, status: 1, request: 1, createdAt: 1, processed: 1, error: 1, owner: 1 } as const;

/** Every asynchronous job, export or not (the name is from when export was the only kind). */
export const JOBS_COLLECTION = 'bulk_jobs';

type AnyJob = Job<unknown, JobCheckpoint>;

/** Jobs in MongoDB, so several instances share them; the lease makes one instance at a time run a job. */
export class JobStore {
  readonly jobs: Collection<AnyJob>;

  constructor(db: Db) {
    this.jobs = db.collection<AnyJob>(JOBS_COLLECTION);
  }

  async init(): Promise<void> {
    await this.jobs.createIndexes([
      { key: { status: 1, leaseUntil: 1, createdAt: 1 }, name: 'claimable' },
      { key: { expiresAt: 1 }, name: 'expiry' },
    ]);
  }

  /** Queues a job with its kind's first checkpoint. */
  async insert<J extends AnyJob>(job: Omit<J, 'leaseUntil' | 'processed' | 'status'>): Promise<J> {
    const doc = { ...job, status: 'queued', leaseUntil: RELEASED, processed: 0 } as J;
    await this.jobs.insertOne(doc);
    return doc;
  }

  /** The job, typed as its caller knows its kind to be. */
  get<J extends AnyJob = AnyJob>(id: string): Promise<J | null> {
    return this.jobs.findOne({ _id: id }) as Promise<J | null>;
  }

  /**
   * Takes the oldest queued job, or a running one whose owner stopped renewing its lease (crashed instance), other
   * than the jobs `running` names: those the claiming worker runs itself. A lease of its own may lapse while the
   * worker is too busy to renew it (a long query, a loaded machine); claimed again, the job would run twice at once.
   */
  async claim(owner: string, leaseMs: number, running: readonly string[] = []): Promise<AnyJob | null> {
    const now = new Date();
    return this.jobs.findOneAndUpdate(
      { status: { $in: ['queued', 'running'] }, ...leaseFree(now), ...(running.length ? { _id: { $nin: [...running] } } : {}) },
      { $set: { status: 'running', ...leaseTo(owner, leaseMs, now) } },
      { sort: { createdAt: 1 }, returnDocument: 'after' },
    );
  }

  /**
   * False when the lease is gone: the job was cancelled, released, or another instance took it over. A renewal that
   * reaches the store after this owner's release must not take the lease back (the next instance would wait it out).
   */
  async renew(id: string, owner: string, leaseMs: number): Promise<boolean> {
    const res = await this.jobs.updateOne({ _id: id, status: 'running', leaseOwner: owner, leaseUntil: { $gt: RELEASED } }, { $set: leaseTo(owner, leaseMs) });
    return res.matchedCount === 1;
  }

  async checkpoint<C extends JobCheckpoint>(id: string, owner: string, checkpoint: C, processed: number, leaseMs: number): Promise<boolean> {
    const res = await this.jobs.updateOne({ _id: id, status: 'running', leaseOwner: owner }, { $set: { checkpoint, processed, ...leaseTo(owner, leaseMs) } });
    return res.matchedCount === 1;
  }

  /** Hands the job back (clean shutdown) so another instance resumes it at once from its checkpoint. */
  async release(id: string, owner: string): Promise<void> {
    await this.jobs.updateOne({ _id: id, status: 'running', leaseOwner: owner }, { $set: { leaseUntil: RELEASED } });
  }

  async finish(id: string, owner: string, update: Partial<Pick<AnyJob, 'status' | 'checkpoint' | 'processed' | 'error' | 'expiresAt'>>): Promise<boolean> {
    const res = await this.jobs.updateOne({ _id: id, status: 'running', leaseOwner: owner }, { $set: { ...update, leaseUntil: RELEASED } });
    return res.matchedCount === 1;
  }

  /** Marks a job cancelled; returns the job as it was, so the caller knows whether a worker is still on it. */
  cancel(id: string): Promise<AnyJob | null> {
    return this.jobs.findOneAndUpdate({ _id: id, status: { $ne: 'cancelled' } }, { $set: { status: 'cancelled' } }, { returnDocument: 'before' });
  }

  /** The newest `limit` jobs `filter` selects (src/jobs/access-context.ts accessFilter), as summaries. */
  newest(filter: Filter<AnyJob>, limit: number): Promise<JobSummary[]> {
    return this.jobs.find(filter, { projection: SUMMARY, sort: { createdAt: -1 }, limit }).toArray() as Promise<JobSummary[]>;
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
            { status: 'cancelled', ...leaseFree(now) },
          ],
        },
        { projection: { _id: 1 } },
      )
      .limit(100)
      .toArray();
    return jobs.map((j) => j._id);
  }
}
