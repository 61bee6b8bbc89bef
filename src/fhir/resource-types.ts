import { type2Parent } from 'fhirpath/fhir-context/r4';

/**
 * Every R4 resource type, derived from the R4 model that ships with `fhirpath` rather than a hand-kept list, so
 * any resource an EHR's bundle carries (Observation, Claim, Provenance, ...) is served by the same machinery.
 */
function isResourceType(type: string): boolean {
  const parents = type2Parent as Record<string, string | undefined>;
  for (let t: string | undefined = type; t; t = parents[t]) if (t === 'Resource') return true;
  return false;
}

export const R4_RESOURCE_TYPES: ReadonlySet<string> = new Set(Object.keys(type2Parent).filter((t) => t !== 'DomainResource' && t !== 'Resource' && isResourceType(t)));

/** Types that are never stored as such: they are messages about other resources. */
const NOT_STORED = new Set(['Parameters', 'OperationOutcome']);

export function isStorableType(type: string): boolean {
  return R4_RESOURCE_TYPES.has(type) && !NOT_STORED.has(type);
}
