import type { Bundle, BundleEntry, Resource } from 'fhir/r4';

export type GroupingType = 'batch' | 'transaction';

/**
 * Wraps NDJSON resources in one Bundle: a resource with an id is PUT to that id (so loading the same file twice
 * updates rather than duplicates, and references by id between files hold), one without an id is POSTed.
 *
 * A `transaction` grouping lets the server resolve conditional references (`Practitioner?identifier=...`), which
 * bulk exports use, at the price of one bad line failing its whole group.
 */
export function toBundle(resources: Resource[], type: GroupingType): Bundle {
  const entry: BundleEntry[] = resources.map((resource) =>
    resource.id
      ? { resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } }
      : { resource, request: { method: 'POST', url: resource.resourceType } },
  );
  return { resourceType: 'Bundle', type, entry };
}
