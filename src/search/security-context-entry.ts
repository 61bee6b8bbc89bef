import type { Resource } from 'fhir/r4';
import { isJsonObject } from '../fhir/json';
import type { IndexEntry } from './types';
import { normalizeReference } from './types/reference';

/**
 * A Binary's `securityContext`, as one `s.e` entry `{p: '_security-context', v: 'Type/id'}`: a Binary carries no
 * patient reference of its own, so certified destruction finds the attachments of a patient's record by the record
 * resources they answer to (an indexed query, src/destruction/). Like `_patient-ref`, the code starts with `_` and is
 * no SearchParameter's, so no client query reaches it.
 */
export const SECURITY_CONTEXT = '_security-context';

export function securityContextEntries(resource: Resource, baseUrl?: string): IndexEntry[] {
  if (resource.resourceType !== 'Binary') return [];
  const context = (resource as { securityContext?: unknown }).securityContext;
  const reference = isJsonObject(context) ? context.reference : undefined;
  const v = typeof reference === 'string' ? normalizeReference(reference, baseUrl) : undefined;
  return v ? [{ p: SECURITY_CONTEXT, v }] : [];
}
