import { exportOperations } from '../operations/export';
import { exportStatusRoutes } from '../operations/export-status';
import type { Operation } from '../operations/operation';
import type { Route } from '../router/route';
import type { RunningServerCore } from '../server';
import type { BulkConfig } from './config';
import { DirectoryFileStore, GridFsFileStore, type ExportFileStore } from './file-store';
import { JobStore } from './job-store';
import { exportKickoff } from './kickoff';
import type { FilterCompiler } from './run-export';
import { ExportWorker, type WorkerHooks } from './worker';

export { bulkConfigFromEnv, type BulkConfig } from './config';
export type { FilterCompiler } from './run-export';
export { searchFilterCompiler } from './search-filter';
export type { WorkerHooks } from './worker';

export interface BulkDeps {
  /**
   * Compiles `_typeFilter` queries and SMART granular scopes: the server's is the search layer's
   * (`searchFilterCompiler(search)`); absent, exports that need one are refused.
   */
  compileFilter?: FilterCompiler;
  hooks?: WorkerHooks;
  /** Whether the server requires a token (authorization configured): the manifest says so to clients. */
  requiresAccessToken(): boolean;
}

/** The Bulk Data Access IG's CapabilityStatement for servers: what offering `$export` here conforms to. */
export const BULK_DATA_SERVER_CAPABILITY = 'http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data';

export interface BulkExportServices {
  operations: Operation[];
  /** For CapabilityStatement.instantiates. */
  instantiates: string[];
  /** Status, cancel and file download (src/operations/export-status.ts). */
  routes: Route[];
  start(server: RunningServerCore): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Bulk Data export: `$export` kick-off as an operation (base, Patient, Group/[id]); status, cancel and file
 * download as routes of the route table; jobs in the `bulk_jobs` collection run by a lease-based worker; files in
 * GridFS or BULK_EXPORT_DIR. Merge into Services: operations, routes, start, stop.
 */
export function bulkExportServices(config: BulkConfig, deps: BulkDeps): BulkExportServices {
  let state: { jobs: JobStore; files: ExportFileStore; worker: ExportWorker } | undefined;
  const ready = () => {
    if (!state) throw new Error('bulk export is not started');
    return state;
  };
  const handler = exportKickoff({
    config,
    jobs: () => ready().jobs,
    compileFilter: deps.compileFilter,
    nudge: () => state?.worker.nudge(),
  });
  return {
    operations: exportOperations(handler),
    instantiates: [BULK_DATA_SERVER_CAPABILITY],
    routes: exportStatusRoutes({
      state: () => ({ ...ready(), retryAfterSeconds: Math.max(1, Math.ceil(config.pollMs / 1000)) }),
      requiresAccessToken: deps.requiresAccessToken,
    }),
    async start(server) {
      const jobs = new JobStore(server.store.db);
      const files = config.dir ? new DirectoryFileStore(config.dir) : new GridFsFileStore(server.store.db);
      await jobs.init();
      await files.init();
      const worker = new ExportWorker({
        config,
        jobs,
        files,
        systemRepo: server.systemRepo,
        compileFilter: deps.compileFilter,
        logger: server.logger,
        hooks: deps.hooks,
      });
      state = { jobs, files, worker };
      worker.start();
    },
    async stop() {
      await state?.worker.stop();
    },
  };
}
