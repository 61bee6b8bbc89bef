import type { Meta, Resource } from 'fhir/r4';
import { isJsonObject } from '../fhir/json';

/**
 * Serialises a resource with server-owned meta fields, resourceType, id and meta first (the order FHIR servers
 * conventionally emit, and what makes the stored text readable). Validation rejects a `meta` that is not an
 * object; should one get here anyway it is dropped, never spread (a string would become `{"0": "x", ...}`).
 */
export function withServerMeta(resource: Resource, id: string, versionId: number, lastUpdated: Date): Resource {
  const { resourceType, id: _ignored, meta, ...rest } = resource as Resource & Record<string, unknown>;
  const kept = isJsonObject(meta) ? meta : {};
  const newMeta: Meta = { ...kept, versionId: String(versionId), lastUpdated: lastUpdated.toISOString() };
  return { resourceType, id, meta: newMeta, ...rest } as Resource;
}
