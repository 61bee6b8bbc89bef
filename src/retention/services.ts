import type { Db, IndexDescription } from 'mongodb';
import { placeHoldOperation, releaseHoldOperation } from '../operations/hold';
import type { Operation } from '../operations/operation';
import { retentionOperation } from '../operations/retention';
import type { SearchContext } from '../search';
import type { WriteHook } from '../store/write-hooks';
import { flagHeldRecords, legalHoldHook } from './holds-in-force';
import { ensureHoldGuards, flagMergedPatients, onceForGuardFlags } from './hold-guard';
import { retentionFromEnv } from '.';

/**
 * Retention as the server wires it: the policy (RETENTION_POLICY_FILE or the shipped default, checked at start),
 * `$retention`, `$hold` and `$release-hold`, the write hook of legal holds (and the guards it writes), and the indexes the schedule's sorted
 * queries use. Merge into Services; `retention` is the API for destruction (src/retention/index.ts).
 */
export function retentionServices(env: Record<string, string | undefined>, search: SearchContext) {
  const retention = retentionFromEnv(env, search);
  const operations: Operation[] = [retentionOperation(retention), placeHoldOperation, releaseHoldOperation];
  const writeHooks: WriteHook[] = [legalHoldHook];
  return {
    retention,
    operations,
    writeHooks,
    indexSpecs: (type: string): IndexDescription[] => retention.indexSpecs(type),
    /** Before serving: the collection of hold guards, which writes write inside their transactions, and their flags. */
    start: async (db: Db) => {
      await ensureHoldGuards(db);
      // The guards' flags (hold-guard.ts) for holds and merges recorded before the guards carried them: once per
      // store (a store with many merged patients would write 65 guards of each at every start).
      await onceForGuardFlags(db, async () => {
        await flagHeldRecords(db);
        await flagMergedPatients(db);
      });
    },
  };
}
