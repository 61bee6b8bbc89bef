import type { JobServices } from '../jobs';
import { exportOperations } from '../operations/export';
import type { Operation } from '../operations/operation';
import type { BulkConfig } from './config';
import { type ExportCompletion, exportKind } from './export-kind';
import { exportKickoff } from './kickoff';
import type { FilterCompiler, LineExpander } from './run-export';

export { bulkConfigFromEnv, type BulkConfig } from './config';
export type { FilterCompiler } from './run-export';
export { searchFilterCompiler } from './search-filter';

export interface BulkDeps {
  /** The server's asynchronous jobs (src/jobs): the export kind runs there, its status routes are theirs. */
  jobs: JobServices;
  /**
   * Compiles `_typeFilter` queries and SMART granular scopes: the server's is the search layer's
   * (`searchFilterCompiler(search)`); absent, exports that need one are refused.
   */
  compileFilter?: FilterCompiler;
  /** Told of every export that completes (the accounting of disclosures records its patients). */
  onExportComplete?: ExportCompletion;
  /** Completes lines whose stored text leaves something out (a Binary's bytes: src/binary). */
  expandLine?: LineExpander;
}

/** The Bulk Data Access IG's CapabilityStatement for servers: what offering `$export` here conforms to. */
export const BULK_DATA_SERVER_CAPABILITY = 'http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data';

export interface BulkExportServices {
  operations: Operation[];
  /** For CapabilityStatement.instantiates. */
  instantiates: string[];
}

/**
 * Bulk Data export: `$export` kick-off as an operation (base, Patient, Group/[id]) that queues a job of kind
 * `export`, run by the server's job worker; status, cancel and download are the job routes (`$export-status`,
 * `$export-file`). Merge into Services: operations, instantiates.
 */
export function bulkExportServices(config: BulkConfig, deps: BulkDeps): BulkExportServices {
  deps.jobs.register(exportKind(deps.compileFilter, deps.onExportComplete, deps.expandLine));
  const handler = exportKickoff({ config, jobs: deps.jobs, compileFilter: deps.compileFilter });
  return { operations: exportOperations(handler), instantiates: [BULK_DATA_SERVER_CAPABILITY] };
}
