import type { Resource } from 'fhir/r4';
import type { JobServices } from '../jobs';
import { findDuplicates } from '../operations/find-duplicates';
import { match } from '../operations/match';
import type { Operation } from '../operations/operation';
import type { RunningServerCore } from '../server';
import type { Indexer, SearchFields } from '../store/stored-document';
import { matchConfigFromEnv } from './config';
import { withMatchKeys } from './index-entries';
import { findDuplicatesKind } from './find-duplicates-kind';
import { ensureMatchKeys } from './rekey';
import { Matcher } from '.';

/**
 * Identity matching as the server wires it: the matcher of the configuration (MATCH_CONFIG or the shipped file),
 * the blocking keys it adds to every Patient's search index, its operations, and the start-up step that keys the
 * stored Patients when the configuration's keys changed. Merge into Services.
 */
export function matchingServices(env: Record<string, string | undefined>) {
  const matcher = new Matcher(matchConfigFromEnv(env));
  return {
    matcher,
    /** `$match`, and `$find-duplicates` with its job kind registered on `jobs`. */
    operations(jobs: JobServices): Operation[] {
      jobs.register(findDuplicatesKind(matcher));
      return [match(matcher), findDuplicates(matcher, jobs)];
    },
    /** Index-on-write: the search layer's fields of `resource`, with a Patient's blocking keys. */
    index: (fields: SearchFields, resource: Resource) => withMatchKeys(fields, resource, matcher),
    async start(core: RunningServerCore, index: Indexer): Promise<void> {
      const { rekeyed } = await ensureMatchKeys(core.store.db, matcher.config.keysFingerprint, index, ({ done, finished }) =>
        core.logger.info({ done }, finished ? 'patient match keys written' : 'writing patient match keys'),
      );
      if (rekeyed) core.logger.info({ fingerprint: matcher.config.keysFingerprint }, 'stored Patients keyed for matching with the current configuration');
    },
  };
}
