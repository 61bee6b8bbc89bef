import { issue, outcome, preconditionFailed } from '../../errors/operation-outcome-error';
import type { RouterContext } from '../context';
import { versionHeaders } from '../respond';
import type { FhirRequest, FhirResult } from '../types';
import { ifMatchVersion } from './update';

function deleted(message: string, doc?: { vid: number; lu: Date }): FhirResult {
  return {
    status: 200,
    headers: doc ? versionHeaders(doc) : {},
    body: outcome([issue('informational', message, undefined, 'information')]),
  };
}

/** delete: DELETE [type]/[id] (spec 3.1.0.7); deleting what is absent succeeds too. */
export async function remove(ctx: RouterContext, req: FhirRequest, type: string, id: string): Promise<FhirResult> {
  const { doc } = await ctx.repo.delete(type, id, { ifMatch: ifMatchVersion(req) });
  return deleted(doc ? `Deleted ${type}/${id}` : `${type}/${id} did not exist or was already deleted`, doc);
}

/** conditional delete: DELETE [type]?[search] (spec 3.1.0.7.1), single match only. */
export async function conditionalDelete(ctx: RouterContext, req: FhirRequest, type: string): Promise<FhirResult> {
  const ids = await ctx.search.findMatchingIds(ctx.repo, type, req.query, 2);
  if (ids.length > 1) throw preconditionFailed(`The conditional delete matched ${ids.length} ${type} resources`);
  if (ids.length === 0) return deleted(`No ${type} matched; nothing was deleted`);
  const { doc } = await ctx.repo.delete(type, ids[0], {});
  return deleted(`Deleted ${type}/${ids[0]}`, doc);
}
