import type { AuditEvent } from 'fhir/r4';
import { isStorableType } from '../fhir/resource-types';
import type { JobServices } from '../jobs';
import type { Operation } from '../operations/operation';
import { destructionApprove } from '../operations/destruction-approve';
import { destructionCheck } from '../operations/destruction-check';
import { destructionReview } from '../operations/destruction-review';
import type { RunningServerCore } from '../server';
import type { WriteHook } from '../store/write-hooks';
import { queryTextSealer } from '../audit/query-text';
import { auditQueryText } from '../operations/audit-query-text';
import { RecordKeys } from '../store/record-keys';
import { certificateGuard } from './certificate-guard';
import { destructionKind } from './destroy-kind';
import { Ledger } from './ledger';
import { NEVER_DESTROYED } from './record-membership';
import type { RetentionSource } from './retention-source';
import { reviewKind } from './review-kind';

export interface DestructionOptions {
  jobs: JobServices;
  /** Where the destruction's AuditEvents go (the server's trail, once started). */
  audit: (event: AuditEvent) => void;
  retention: RetentionSource;
  env: Record<string, string | undefined>;
  leaseMs: number;
}

/** Records per batch (one transaction each): DESTRUCTION_BATCH, default 50. */
function batchSizeOf(env: Record<string, string | undefined>): number {
  const n = Number(env.DESTRUCTION_BATCH ?? 50);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new Error(`DESTRUCTION_BATCH must be a whole number from 1 to 10000, got "${env.DESTRUCTION_BATCH}"`);
  return n;
}

/** Resources removed per transaction at most (a larger record goes in parts): DESTRUCTION_TRANSACTION_RESOURCES, default 5000. */
function transactionResourcesOf(env: Record<string, string | undefined>): number {
  const n = Number(env.DESTRUCTION_TRANSACTION_RESOURCES ?? 5000);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) {
    throw new Error(`DESTRUCTION_TRANSACTION_RESOURCES must be a whole number from 1 to 100000, got "${env.DESTRUCTION_TRANSACTION_RESOURCES}"`);
  }
  return n;
}

/**
 * Certified destruction as the server wires it: the review and destruction job kinds, the operations that start
 * them and answer "was this destroyed?", and the write hook that keeps certificates forever. Merge into Services.
 */
export function destructionServices(opts: DestructionOptions) {
  let core: RunningServerCore | undefined;
  const started = () => {
    if (!core) throw new Error('destruction used before the server started');
    return core;
  };
  let ledger: Ledger | undefined;
  let keys: RecordKeys | undefined;
  const recordKeys = () => {
    if (!keys) throw new Error('record keys used before the server started');
    return keys;
  };
  const retention = opts.retention;
  // Every stored type but the audit trail, which destruction never touches.
  const types = () =>
    started()
      .store.knownTypes()
      .filter((t) => isStorableType(t) && !NEVER_DESTROYED.has(t));
  const baseUrl = () => started().config.baseUrl;
  opts.jobs.register(reviewKind({ retention, types, baseUrl }));
  opts.jobs.register(
    destructionKind({
      retention,
      jobs: opts.jobs,
      get ledger() {
        if (!ledger) throw new Error('destruction used before the server started');
        return ledger;
      },
      types,
      baseUrl,
      audit: opts.audit,
      compact: () => compactStore(started()),
      shredKeys: (patients, session) => recordKeys().shred(patients, session),
      batchSize: batchSizeOf(opts.env),
      transactionResources: transactionResourcesOf(opts.env),
      leaseMs: opts.leaseMs,
      logger: () => core?.logger,
    }),
  );
  const operations: Operation[] = [
    destructionReview({ jobs: opts.jobs, types }),
    destructionApprove({ jobs: opts.jobs, types }),
    destructionCheck(),
    auditQueryText(recordKeys),
  ];
  const writeHooks: WriteHook[] = [certificateGuard];
  return {
    operations,
    writeHooks,
    /** The audit trail's `protect`: query text sealed under the keys destruction shreds (src/audit/query-text.ts). */
    sealAuditText: (events: AuditEvent[]) => queryTextSealer(recordKeys())(events),
    async start(server: RunningServerCore): Promise<void> {
      core = server;
      ledger = new Ledger(server.store.db);
      keys = new RecordKeys(server.store.db);
      await Promise.all([ledger.init(), keys.init()]);
    },
  };
}

/**
 * Drops the destroyed bytes from the store's files. The embedded engine compacts its whole data directory for any
 * collection named; on MongoDB, `compact` rewrites each collection a destruction touches (WiredTiger frees the
 * space of removed documents; see docs/architecture.md for what it does not reach: the oplog, backups).
 */
async function compactStore(core: RunningServerCore): Promise<void> {
  const db = core.store.db;
  const names = core.config.mongoUri ? (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name) : ['destruction_ledger'];
  for (const name of names) {
    try {
      await db.command({ compact: name });
    } catch (err) {
      core.logger.warn({ err, collection: name }, 'destruction: compact failed; the destroyed bytes may stay in the database files until it runs');
    }
  }
}
