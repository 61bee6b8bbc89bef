import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Repository } from '../store/repository';
import type { BulkConfig } from '../bulk/config';
import type { JobFileStore } from './file-store';
import { kindOf, type Job, type JobCheckpoint } from './job';
import type { JobStore } from './job-store';
import { JobAborted, type JobKind } from './kind';

export interface WorkerHooks {
  /** Called after each checkpoint is stored (tests pause a job here to cancel, write or restart mid-run). */
  afterCheckpoint?(job: Job, checkpoint: JobCheckpoint): Promise<void> | void;
}

/**
 * Claims jobs of every kind from the shared collection and runs them, at most `concurrency` at a time on this
 * instance. A lease renewed while a job runs keeps other instances off it; a crashed instance's lease expires and
 * any instance resumes the job from its last checkpoint. Also removes expired and cancelled jobs with their files.
 */
export class JobWorker {
  readonly id = randomUUID();
  private readonly running = new Map<string, AbortController>();
  private readonly finishing = new Set<Promise<void>>();
  private timer?: NodeJS.Timeout;
  private stopped = true;
  private polling = false;
  private lastSweep = 0;

  constructor(
    private readonly deps: {
      config: BulkConfig;
      jobs: JobStore;
      files: JobFileStore;
      kinds: ReadonlyMap<string, JobKind>;
      systemRepo: Repository;
      logger: Logger;
      hooks?: WorkerHooks;
    },
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Looks for work now (after a kick-off on this instance). */
  nudge(): void {
    if (!this.stopped) this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.poll(), ms);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    if (this.polling || this.stopped) return;
    this.polling = true;
    try {
      while (!this.stopped && this.running.size < this.deps.config.concurrency) {
        const job = await this.deps.jobs.claim(this.id, this.deps.config.leaseMs, [...this.running.keys()]);
        if (!job) break;
        this.launch(job);
      }
      if (Date.now() - this.lastSweep >= Math.max(this.deps.config.pollMs, 1000)) {
        this.lastSweep = Date.now();
        await this.sweep();
      }
    } catch (err) {
      this.deps.logger.error({ err }, 'job worker poll failed');
    } finally {
      this.polling = false;
      if (!this.stopped) this.schedule(this.deps.config.pollMs);
    }
  }

  private launch(job: Job): void {
    const abort = new AbortController();
    this.running.set(job._id, abort);
    const done = this.runJob(job, abort.signal).finally(() => {
      this.running.delete(job._id);
      this.finishing.delete(done);
      this.nudge();
    });
    this.finishing.add(done);
  }

  private async runJob(job: Job, signal: AbortSignal): Promise<void> {
    const { jobs, files, config, logger } = this.deps;
    const log = { job: job._id, kind: kindOf(job) };
    const lease = setInterval(
      () => {
        jobs
          .renew(job._id, this.id, config.leaseMs)
          // A renewal refused because the job was cancelled cleans up like a cancel seen at a checkpoint.
          .then(async (ok) => ok || this.running.get(job._id)?.abort(await this.whyLost(job._id)))
          .catch((err) => logger.warn({ err, ...log }, 'job lease renewal failed'));
      },
      Math.max(Math.floor(config.leaseMs / 3), 10),
    );
    try {
      const kind = this.deps.kinds.get(kindOf(job));
      if (!kind) throw new Error(`no job kind ${kindOf(job)} on this server`);
      // Renewal stops with the run, before the job is finished or released: none can follow the hand-back.
      const result = await kind
        .run(job, {
          systemRepo: this.deps.systemRepo,
          files,
          maxLines: config.maxLines,
          signal,
          checkpoint: async (cp, processed) => {
            if (!(await jobs.checkpoint(job._id, this.id, cp, processed, config.leaseMs))) throw await this.whyLost(job._id);
            await this.deps.hooks?.afterCheckpoint?.(job, cp);
          },
        })
        .finally(() => clearInterval(lease));
      const ok = await jobs.finish(job._id, this.id, {
        status: 'completed',
        checkpoint: result.checkpoint,
        processed: result.processed,
        expiresAt: new Date(Date.now() + config.ttlMs),
      });
      if (!ok) await this.handleAbort(job, await this.whyLost(job._id));
    } catch (err) {
      if (err instanceof JobAborted) await this.handleAbort(job, err);
      else {
        logger.error({ err, ...log }, 'job failed');
        await files.remove(job._id).catch(() => undefined);
        await jobs.finish(job._id, this.id, { status: 'failed', error: (err as Error).message ?? String(err), expiresAt: new Date(Date.now() + config.ttlMs) });
      }
    } finally {
      clearInterval(lease); // also when the job could not start (its arguments threw)
    }
  }

  private async whyLost(id: string): Promise<JobAborted> {
    const now = await this.deps.jobs.get(id);
    return new JobAborted(!now || now.status === 'cancelled' ? 'cancelled' : 'lease');
  }

  private async handleAbort(job: Job, reason: JobAborted): Promise<void> {
    if (reason.reason === 'cancelled') {
      await this.deps.files.remove(job._id);
      await this.deps.jobs.remove(job._id);
    } else if (reason.reason === 'stopping') {
      await this.deps.jobs.release(job._id, this.id);
    }
    // 'lease': another instance owns the job now and cleans up after its checkpoint.
  }

  /** Removes jobs past their expiry, and cancelled jobs no worker is running, with their files. */
  async sweep(): Promise<void> {
    for (const id of await this.deps.jobs.disposable()) {
      await this.deps.files.remove(id);
      await this.deps.jobs.remove(id);
    }
  }

  /** Stops claiming; running jobs stop at their next line and hand their lease back for another instance. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const abort of this.running.values()) abort.abort(new JobAborted('stopping'));
    await Promise.allSettled([...this.finishing]);
  }
}
