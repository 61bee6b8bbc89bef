import type { Bundle, CapabilityStatementRestResourceSearchParam } from 'fhir/r4';
import type { Filter } from 'mongodb';
import { badRequest } from '../errors/operation-outcome-error';
import type { StoredDocument } from '../store/stored-document';
import { compileFilter, compileSimpleClause } from './compile';
import type { SearchContext } from './context';
import { SearchDiagnostics } from './diagnostics';
import { executeSearch } from './execute';
import { loadImpliedSystems } from './implied-systems';
import { parseSearch } from './parse';
import type { ExecuteContext, SearchStore } from './types';
import { isSupportedType } from './types/index';

/**
 * The search layer's public API (issue 4). Everything the rest of the server needs: index-on-write, index specs,
 * parse + execute, conditional matching, the CapabilityStatement's parameter list, and an adapter shaped like the
 * router's SearchApi. Each takes the server's SearchContext (its parameters and base URL), made once per server.
 */
export { SearchContext, type SearchContextOptions } from './context';
export { SearchRegistry } from './registry';
export { buildSearchIndex } from './index-builder';
export { SearchDiagnostics, type SearchHealth } from './diagnostics';
export { SEARCH_INDEX_FORMAT, searchIndexSpecs } from './index-specs';
export { parseSearch } from './parse';
export { executeSearch } from './execute';
export type { ExecuteContext, SearchRequest, SearchStore, SearchFindOptions } from './types';

export interface SearchSettings {
  defaultCount: number;
  maxCount: number;
  /** Types a system-level search without `_type` covers (read per request: types appear as data arrives). */
  systemTypes?: () => readonly string[];
  /** This server's record of what search left out (index-on-write failures, skipped definitions). */
  diagnostics?: SearchDiagnostics;
}

/**
 * Ids of current resources matching a query, for conditional create/update/delete and conditional references.
 * Unknown parameters are an error here (strict): ignoring one would widen the match and touch the wrong resource.
 */
export async function findMatchingIds(search: SearchContext, store: SearchStore, type: string, query: Array<[string, string]>, limit: number): Promise<string[]> {
  const req = parseSearch(search, type, query, { strict: true });
  if (!req.clauses.length) throw badRequest('A conditional operation needs at least one search criterion');
  const filter = await compileFilter(store, type, req.clauses);
  const ids: string[] = [];
  // A conditional write finds its target among what the caller may read; its write grant governs the write.
  for await (const doc of store.find(type, filter, { projection: { _id: 1 }, limit, sort: { _id: 1 }, access: 'read' })) ids.push(doc._id);
  return ids;
}

/**
 * The filter for a query without chains or _has (e.g. a SMART v2 granular scope's `category=problem-list-item`),
 * for the repository to AND into queries on `type`. Throws 400 for anything it cannot compile on its own.
 */
export function restrictionFilter(search: SearchContext, type: string, query: string): Filter<StoredDocument> {
  const req = parseSearch(search, type, [...new URLSearchParams(query)], { strict: true });
  const parts = req.clauses.map((c) => {
    if (c.kind === 'chain' || c.kind === 'has') throw badRequest(`A scope restriction cannot chain: ${query}`);
    return compileSimpleClause(c);
  });
  return parts.length === 0 ? {} : parts.length === 1 ? parts[0] : { $and: parts };
}

/** Every supported search parameter of `type`, for the CapabilityStatement. */
export function searchParametersFor(search: SearchContext, type: string): CapabilityStatementRestResourceSearchParam[] {
  return search.registry
    .params(type)
    .filter((p) => isSupportedType(p.type) && (p.expression || p.code === '_id' || p.code === '_lastUpdated'))
    .map((p) => ({
      name: p.code,
      definition: p.url,
      type: p.type as CapabilityStatementRestResourceSearchParam['type'],
      ...(p.description ? { documentation: p.description } : {}),
    }));
}

/** Options the router passes per request (src/router/context.ts SearchApi). */
export interface RouterSearchOptions {
  strict: boolean;
  compartment?: { type: string; id: string };
  selfUrl: string;
}

/**
 * An object shaped like the router's SearchApi, bound to the server's search context and settings. Made once the
 * server listens: its links start with the base URL.
 */
export function createSearchApi(search: SearchContext, settings: SearchSettings) {
  const baseUrl = search.baseUrl;
  if (baseUrl === undefined) throw new Error("createSearchApi: the server's base URL is not known yet (SearchContext.listensAt)");
  const diagnostics = settings.diagnostics ?? new SearchDiagnostics();
  // Loads the definitions and the implied systems now rather than at the first write, so a skipped definition is
  // reported at start-up.
  diagnostics.definitionsSkipped(search.registry.skipped());
  loadImpliedSystems();
  return {
    diagnostics,
    async executeSearch(store: SearchStore, type: string | undefined, query: Array<[string, string]>, opts: RouterSearchOptions): Promise<Bundle> {
      const systemTypes = type ? undefined : settings.systemTypes?.();
      const req = parseSearch(search, type, query, { strict: opts.strict, systemTypes, maySearch: store.maySearch?.bind(store) });
      const ctx: ExecuteContext = {
        baseUrl,
        defaultCount: settings.defaultCount,
        maxCount: settings.maxCount,
        compartment: opts.compartment,
        systemTypes,
      };
      return executeSearch(search, store, req, ctx);
    },
    findMatchingIds: (store: SearchStore, type: string, query: Array<[string, string]>, limit: number) => findMatchingIds(search, store, type, query, limit),
  };
}
