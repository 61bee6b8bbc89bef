import type { Resource } from 'fhir/r4';
import type { Filter } from 'mongodb';
import { restrictionFilter, type SearchContext } from '../search';
import { evaluatorFor } from '../search/registry';
import { normalizeReference } from '../search/types/reference';
import type { StoredDocument } from '../store/stored-document';

/**
 * What the rules need of the search layer: a rule's query compiled to the filter the indexes serve, and the
 * references a resource's reference parameter holds, read as index-on-write reads them (so a write hook finds the
 * encounters a document names exactly as the audit's query does).
 */
export interface SearchAccess {
  /** The filter of a FHIR search query on `type` (no chains, no _has); throws 400 for a bad one. */
  filter(type: string, query: string): Filter<StoredDocument>;
  /** `Type/id` of each reference `resource` holds in its search parameter `code`. */
  references(resource: Resource, code: string): string[];
  /** Does `type` have a search parameter `code`? */
  hasParam(type: string, code: string): boolean;
  /** Can `type`'s search parameter `code` name a resource of `target` (a reference parameter that allows it)? */
  refersTo(type: string, code: string, target: string): boolean;
}

export function searchAccess(search: SearchContext): SearchAccess {
  return {
    filter: (type, query) => restrictionFilter(search, type, query),
    hasParam: (type, code) => code === '_id' || code === '_lastUpdated' || search.registry.param(type, code) !== undefined,
    refersTo(type, code, target) {
      const p = search.registry.param(type, code);
      return p?.type === 'reference' && (p.target.length === 0 || p.target.includes(target));
    },
    references(resource, code) {
      const param = search.registry.param(resource.resourceType, code);
      const evaluate = param && evaluatorFor(param);
      if (!evaluate) return [];
      const out: string[] = [];
      for (const node of evaluate(resource)) {
        const ref = (node.value as { reference?: unknown } | undefined)?.reference;
        const n = typeof ref === 'string' ? normalizeReference(ref, search.baseUrl) : undefined;
        if (n) out.push(n);
      }
      return out;
    },
  };
}
