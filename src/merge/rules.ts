import rules from './merge-rules.json';

/**
 * The settings of a patient merge, from merge-rules.json (documented in the README, "Merging patient records"):
 * - `keepReferences`: types whose references to the source are never rewritten, because they record what happened
 *   to whom (an AuditEvent, a Provenance); a write guard does not refuse them either.
 * - `maxTransactionResources`: the most resources (moved ones, plus the two Patients) one merge or unmerge
 *   changes in a single transaction; `MERGE_MAX_TRANSACTION_RESOURCES` overrides it.
 * - `lockSeconds`: how long a merge's lock on both patients holds without being renewed (a crashed merge frees them).
 * - `sweepRounds`: how many times, after the commit, a merge looks again for resources a racing write created
 *   referencing the source, and moves them.
 */
export interface MergeRules {
  keepReferences: ReadonlySet<string>;
  maxTransactionResources: number;
  lockSeconds: number;
  sweepRounds: number;
}

export function mergeRules(env: Record<string, string | undefined> = {}): MergeRules {
  const override = env.MERGE_MAX_TRANSACTION_RESOURCES;
  const max = override === undefined || override === '' ? rules.maxTransactionResources : Number(override);
  if (!Number.isInteger(max) || max < 1) throw new Error(`MERGE_MAX_TRANSACTION_RESOURCES must be a positive integer, not "${override}"`);
  return { keepReferences: new Set(rules.keepReferences), maxTransactionResources: max, lockSeconds: rules.lockSeconds, sweepRounds: rules.sweepRounds };
}
