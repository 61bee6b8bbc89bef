import { isValidId } from '../fhir/resource-id';
import type { AuthConfig } from './config';

/** SMART App Launch 2.0 (§ Scopes for requesting identity data): the types a `fhirUser` may name. */
const USER_TYPES = new Set(['Patient', 'Practitioner', 'PractitionerRole', 'RelatedPerson', 'Person']);

/**
 * Why a token's `fhirUser` claim is unusable, or undefined when it is absent or usable. A usable one is a reference
 * to a user resource on this server: `Type/id` or `[base]/Type/id`, where base is the FHIR base URL (or the token
 * audience, when that differs). Anything else is refused instead of guessed at: a `patient/pat-a` or a
 * `Patient/a/../b` the policy could not read would leave a patient's login unbound to its compartment.
 */
export function fhirUserProblem(value: unknown, cfg: Pick<AuthConfig, 'baseUrl' | 'audience'>): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') return 'fhirUser must be a reference string';
  let relative = value;
  for (const base of new Set([cfg.baseUrl, cfg.audience].map((b) => b.replace(/\/+$/, '')))) {
    if (value.startsWith(`${base}/`)) relative = value.slice(base.length + 1);
  }
  const parts = relative.split('/');
  if (parts.length !== 2 || !USER_TYPES.has(parts[0]) || !isValidId(parts[1])) {
    return `fhirUser must be Type/id or ${cfg.baseUrl}/Type/id with Type one of ${[...USER_TYPES].join(', ')}`;
  }
  return undefined;
}
