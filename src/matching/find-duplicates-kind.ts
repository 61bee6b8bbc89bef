import { simpleKind } from '../jobs';
import { type DuplicatesState, scanDuplicates } from './duplicate-scan';
import type { Matcher } from '.';

export const FIND_DUPLICATES = 'find-duplicates';

/** What a $find-duplicates job is asked: the lowest score written, and how many Patients the caller could see then. */
export interface FindDuplicatesParams {
  threshold: number;
  total: number;
}

/** The job stores its state (and completes its files) at most this often: a resumed job redoes at most this much. */
const CHECKPOINT_EVERY_MS = 10_000;

/**
 * `$find-duplicates` as a job kind (src/jobs/simple-kind.ts): the scan (src/matching/duplicate-scan.ts) under the
 * kick-off caller's policy, its lines in `Parameters` NDJSON files, resumable from its last checkpoint.
 */
export function findDuplicatesKind(matcher: Matcher) {
  return simpleKind<FindDuplicatesParams, DuplicatesState>({
    kind: FIND_DUPLICATES,
    async run(job, ctx) {
      let state: DuplicatesState = ctx.state ?? { patients: 0, pairs: 0 };
      let saved = Date.now();
      for await (const event of scanDuplicates(ctx.repo, matcher, { threshold: job.plan.params.threshold }, state, { signal: ctx.signal })) {
        if ('line' in event) {
          await ctx.write('Parameters', event.line);
          continue;
        }
        state = event.checkpoint;
        if (Date.now() - saved >= CHECKPOINT_EVERY_MS) {
          await ctx.checkpoint(state, state.patients);
          saved = Date.now();
        }
      }
      await ctx.checkpoint(state, state.patients);
      return state.patients;
    },
    progress: (job) => `${job.processed ?? 0} of ${job.plan.params.total} patients compared, ${job.checkpoint.state?.pairs ?? 0} pairs found`,
  });
}
