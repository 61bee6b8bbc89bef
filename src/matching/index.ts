import type { Patient } from 'fhir/r4';
import { blockingKeys } from './blocking-keys';
import { type Comparison, compare } from './compare';
import type { MatchConfig } from './config';
import { type MatchFeatures, matchFeatures } from './features';

export { type Comparison } from './compare';
export { type Grade, type MatchConfig, matchConfigFromEnv, parseMatchConfig, shippedMatchConfig } from './config';
export { type MatchFeatures } from './features';

/** The matcher over one configuration: a Patient's features and blocking keys, and the comparison of two. */
export class Matcher {
  constructor(readonly config: MatchConfig) {}

  features(patient: Patient): MatchFeatures {
    return matchFeatures(patient, this.config);
  }

  keys(patient: Patient | MatchFeatures): string[] {
    return blockingKeys('resourceType' in patient ? this.features(patient) : patient, this.config);
  }

  compare(a: MatchFeatures, b: MatchFeatures): Comparison {
    return compare(a, b, this.config);
  }
}
