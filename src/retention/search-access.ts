import type { Resource } from 'fhir/r4';
import type { Filter } from 'mongodb';
import { restrictionFilter, type SearchContext } from '../search';
import { evaluatorFor } from '../search/registry';
import type { StoredDocument } from '../store/stored-document';

/**
 * What retention needs of the search layer: a policy's query compiled to the filter the indexes serve, and the
 * values of a date search parameter read as index-on-write reads them (so the date a sorted query found is the
 * date the resource states).
 */
export interface RetentionSearch {
  /** The filter of a FHIR search on `type` (no chains, no _has); throws for one that cannot run. */
  filter(type: string, query: string): Filter<StoredDocument>;
  /** Is `code` a date search parameter of `type`? */
  isDateParam(type: string, code: string): boolean;
  /** The values `type`'s date parameter `code` takes on `resource`: date texts, Periods, Timings. */
  dateValues(resource: Resource, code: string): unknown[];
}

export function retentionSearch(search: SearchContext): RetentionSearch {
  return {
    filter: (type, query) => restrictionFilter(search, type, query),
    isDateParam: (type, code) => search.registry.param(type, code)?.type === 'date',
    dateValues(resource, code) {
      const param = search.registry.param(resource.resourceType, code);
      const evaluate = param && evaluatorFor(param);
      return evaluate ? evaluate(resource).map((n) => n.value) : [];
    },
  };
}
