import type express from 'express';
import type { AuditInput } from '../audit';
import type { AccessPolicy } from '../auth/access-policy';
import type { OperationDefinitionRef } from '../router/context';
import type { RunningServerCore } from '../server';
import type { BulkConfig } from './config';
import { DirectoryFileStore, GridFsFileStore, type ExportFileStore } from './file-store';
import { JobStore } from './job-store';
import { exportKickoff } from './kickoff';
import type { FilterCompiler } from './run-export';
import { mountStatusRoutes } from './status-routes';
import { ExportWorker, type WorkerHooks } from './worker';

export { bulkConfigFromEnv, type BulkConfig } from './config';
export type { FilterCompiler } from './run-export';
export { searchFilterCompiler } from './search-filter';
export type { WorkerHooks } from './worker';

/** Canonical OperationDefinitions of Bulk Data Access 2.0, per level, for the CapabilityStatement. */
export const BULK_EXPORT_DEFINITIONS = {
  system: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export',
  Patient: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export',
  Group: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export',
} as const;

export interface BulkDeps {
  /** The same authentication as the FHIR routes (Authorization header -> policy, or 401). */
  authenticate(authorization: string | undefined, remoteAddress?: string): Promise<AccessPolicy>;
  /**
   * Compiles `_typeFilter` queries and SMART granular scopes: the server's is the search layer's
   * (`searchFilterCompiler(search)`); absent, exports that need one are refused.
   */
  compileFilter?: FilterCompiler;
  hooks?: WorkerHooks;
  /** Records the status, download and cancel requests in the server's audit trail (same queue and chain). */
  audit?: (input: AuditInput) => void;
}

export interface BulkExportServices {
  operations: OperationDefinitionRef[];
  extraRoutes(app: express.Express, server: RunningServerCore): void;
  start(server: RunningServerCore): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Bulk Data export: `$export` kick-off as an operation (base, Patient, Group/[id]); status, cancel and file
 * download as routes under /fhir; jobs in the `bulk_jobs` collection run by a lease-based worker; files in GridFS
 * or BULK_EXPORT_DIR. Merge into Services: operations, extraRoutes, start, stop.
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
    operations: [
      {
        name: 'export',
        definition: BULK_EXPORT_DEFINITIONS.system,
        typeDefinitions: { Patient: BULK_EXPORT_DEFINITIONS.Patient, Group: BULK_EXPORT_DEFINITIONS.Group },
        system: true,
        types: ['Patient'],
        instance: true,
        handler,
      },
    ],
    extraRoutes(app, server) {
      mountStatusRoutes(app, '/fhir', {
        baseUrl: server.config.baseUrl,
        authenticate: deps.authenticate,
        audit: (input) => deps.audit?.(input),
        logger: server.logger,
        state: () => ({ ...ready(), retryAfterSeconds: Math.max(1, Math.ceil(config.pollMs / 1000)) }),
      });
    },
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
