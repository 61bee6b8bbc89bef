import type { Meta, Resource } from 'fhir/r4';

/**
 * Serialises a resource with server-owned meta fields, resourceType, id and meta first (the order FHIR servers
 * conventionally emit, and what makes the stored text readable).
 */
export function withServerMeta(resource: Resource, id: string, versionId: number, lastUpdated: Date): Resource {
  const { resourceType, id: _ignored, meta, ...rest } = resource as Resource & Record<string, unknown>;
  const newMeta: Meta = { ...(meta ?? {}), versionId: String(versionId), lastUpdated: lastUpdated.toISOString() };
  return { resourceType, id, meta: newMeta, ...rest } as Resource;
}
