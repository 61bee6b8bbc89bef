import { badRequest } from '../../errors/operation-outcome-error';
import type { RouterContext } from '../context';
import { preferHandling } from '../respond';
import type { FhirRequest, FhirResult } from '../types';

/** Form parameters of POST _search (spec 3.1.1.3) join those of the URL. */
function searchQuery(req: FhirRequest): Array<[string, string]> {
  if (req.method !== 'POST') return req.query;
  if (req.body === undefined) return req.query;
  if (!Array.isArray(req.body)) throw badRequest('POST _search takes an application/x-www-form-urlencoded body');
  return [...req.query, ...(req.body as Array<[string, string]>)];
}

/** search: type, system (`_type`) and compartment (`Patient/1/Condition`) level (spec 3.1.1). */
export async function search(ctx: RouterContext, req: FhirRequest, type: string | undefined, compartment?: { type: string; id: string }): Promise<FhirResult> {
  // The repository already hides what the token does not cover; a search of such a type is answered 403.
  if (type) ctx.repo.assertAllowed(type, 'search');
  const query = searchQuery(req);
  const path = compartment ? `${compartment.type}/${compartment.id}/${type}` : (type ?? '');
  const qs = new URLSearchParams(query).toString();
  const bundle = await ctx.search.executeSearch(ctx.repo, type, query, {
    strict: preferHandling(req) === 'strict',
    compartment,
    selfUrl: `${ctx.baseUrl}/${path}${qs ? `?${qs}` : ''}`,
  });
  await ctx.completeBundle?.(bundle);
  return { status: 200, body: bundle };
}
