import { randomUUID } from 'node:crypto';
import type { BulkConfig } from '../bulk/config';
import { issue, outcome } from '../errors/operation-outcome-error';
import { jobStatusRoutes, jobStatusUrl } from '../operations/job-status';
import type { RouterContext } from '../router/context';
import type { Route } from '../router/route';
import type { FhirRequest, FhirResult } from '../router/types';
import type { RunningServerCore } from '../server';
import { ownerOf } from './access-context';
import { DirectoryFileStore, GridFsFileStore, type JobFileStore } from './file-store';
import { grantOf } from './grant';
import type { Job, JobCheckpoint } from './job';
import { JobStore } from './job-store';
import type { JobKind } from './kind';
import type { GrantedPlan, StateCheckpoint } from './simple-kind';
import { JobWorker, type WorkerHooks } from './worker';

export type { JobKind } from './kind';
export { simpleKind, type SimpleJob, type SimpleJobContext } from './simple-kind';
export type { WorkerHooks } from './worker';

export interface JobServices {
  /** Adds a kind this server runs (before `start`). */
  register<P, C extends JobCheckpoint>(kind: JobKind<P, C>): void;
  /**
   * Queues a job of a simple kind (src/jobs/simple-kind.ts) for the caller of `req`, and answers the kick-off: 202
   * with `Content-Location` naming its status URL. The job runs under the caller's policy.
   */
  startJob<P>(ctx: RouterContext, req: FhirRequest, kind: string, params: P): Promise<FhirResult>;
  /** The store and the local worker, for kinds with their own kick-off (`$export`). */
  store(): JobStore;
  /** Where jobs keep their files (a destruction removes the export files holding a destroyed record). */
  files(): JobFileStore;
  nudge(): void;
  /** Status, cancel and file download of every kind (src/operations/job-status.ts). */
  routes: Route[];
  start(server: RunningServerCore): Promise<void>;
  stop(): Promise<void>;
}

/** The kick-off's URL, for a manifest's `request`. */
export function requestUrl(ctx: RouterContext, req: FhirRequest): string {
  const qs = new URLSearchParams(req.query).toString();
  return `${ctx.baseUrl}/${req.path}${qs ? `?${qs}` : ''}`;
}

/**
 * Asynchronous jobs of every kind: one collection (`bulk_jobs`), one lease-based worker per instance, files in
 * GridFS or BULK_EXPORT_DIR, one set of status routes. Merge into Services: routes, start, stop; kinds register.
 */
export function jobServices(config: BulkConfig, deps: { requiresAccessToken(): boolean; hooks?: WorkerHooks }): JobServices {
  const kinds = new Map<string, JobKind>();
  let state: { jobs: JobStore; files: JobFileStore; worker: JobWorker } | undefined;
  const ready = () => {
    if (!state) throw new Error('the job services are not started');
    return state;
  };
  return {
    register(kind) {
      if (kinds.has(kind.kind)) throw new Error(`job kind ${kind.kind} registered twice`);
      kinds.set(kind.kind, kind as unknown as JobKind);
    },
    async startJob(ctx, req, kind, params) {
      if (!kinds.has(kind)) throw new Error(`no job kind ${kind}`);
      const now = new Date();
      const job = await ready().jobs.insert<Job<GrantedPlan<typeof params>, StateCheckpoint<unknown>>>({
        _id: randomUUID(),
        kind,
        request: requestUrl(ctx, req),
        transactionTime: now,
        createdAt: now,
        expiresAt: new Date(now.getTime() + config.ttlMs),
        owner: ownerOf(req.policy),
        plan: { grant: grantOf(req.policy), params },
        checkpoint: { files: [] },
      });
      const url = jobStatusUrl(ctx.baseUrl, job);
      if (req.trace) req.trace.exportJob = { id: job._id, url, kind };
      ready().worker.nudge();
      const info = outcome([issue('informational', `Job ${job._id} accepted; poll the Content-Location URL`, undefined, 'information')]);
      return { status: 202, headers: { 'Content-Location': url }, body: info };
    },
    store: () => ready().jobs,
    files: () => ready().files,
    nudge: () => state?.worker.nudge(),
    routes: jobStatusRoutes({
      state: () => ({ ...ready(), kinds, retryAfterSeconds: Math.max(1, Math.ceil(config.pollMs / 1000)) }),
      requiresAccessToken: deps.requiresAccessToken,
    }),
    async start(server) {
      const jobs = new JobStore(server.store.db);
      const files = config.dir ? new DirectoryFileStore(config.dir) : new GridFsFileStore(server.store.db);
      await jobs.init();
      await files.init();
      const worker = new JobWorker({ config, jobs, files, kinds, systemRepo: server.systemRepo, logger: server.logger, hooks: deps.hooks });
      state = { jobs, files, worker };
      worker.start();
    },
    async stop() {
      await state?.worker.stop();
    },
  };
}
