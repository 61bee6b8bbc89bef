import { isOperationOutcomeError, badRequest } from '../errors/operation-outcome-error';
import { restrictionFilter, type SearchContext } from '../search';
import type { FilterCompiler } from './run-export';

/**
 * `_typeFilter` queries and SMART granular restrictions through the search layer's compiler: the same parameter
 * registry (the server's `search`) and index layout as a normal search. Chains and `_has` are refused (400) rather
 * than run per job.
 */
export function searchFilterCompiler(search: SearchContext): FilterCompiler {
  return async (_repo, type, query) => {
    const text = new URLSearchParams(query).toString();
    try {
      return restrictionFilter(search, type, text);
    } catch (err) {
      if (isOperationOutcomeError(err) && err.category === 'invalid') {
        throw badRequest(`_typeFilter ${type}?${text} cannot be applied: ${err.message}`, '_typeFilter');
      }
      throw err;
    }
  };
}
