import type { Resource } from 'fhir/r4';
import { badRequest, preconditionFailed } from '../../errors/operation-outcome-error';
import { resourceBody } from '../body';
import { relativizeReferences } from '../../fhir/references';
import type { RouterContext } from '../context';
import { locationHeader, parseETag, writeResult } from '../respond';
import type { FhirRequest, FhirResult } from '../types';
import { withWarnings } from './create';
import { isValidId } from '../paths';

export function ifMatchVersion(req: FhirRequest): number | undefined {
  const v = parseETag(req.headers['if-match']);
  if (v === null) throw preconditionFailed(`If-Match "${req.headers['if-match']}" is not a version of this server`);
  return v;
}

/** Stores `resource` as `type/id` and shapes the response; shared by update, conditional update and patch. */
export async function storeUpdate(
  ctx: RouterContext,
  req: FhirRequest,
  type: string,
  id: string,
  resource: Resource,
  opts: { ifMatch?: number; op?: 'update' | 'patch'; freshId?: boolean },
): Promise<FhirResult> {
  relativizeReferences(resource, ctx.baseUrl);
  const warnings = await ctx.validation.assertValid(resource, ctx.repo, 'update');
  const { doc, created } = await ctx.repo.update(type, id, resource, opts);
  const headers: Record<string, string> = created ? { Location: locationHeader(ctx.baseUrl, type, doc, id) } : {};
  const result = writeResult(req, created ? 201 : 200, doc, headers, `${created ? 'Created' : 'Updated'} ${type}/${id}`);
  return withWarnings(result, warnings);
}

/** update: PUT [type]/[id] (spec 3.1.0.4), update-as-create when the id is new. */
export async function update(ctx: RouterContext, req: FhirRequest, type: string, id: string): Promise<FhirResult> {
  const resource = resourceBody(req, type);
  if (resource.id === undefined) throw badRequest('The resource must carry the id of the URL', 'id');
  if (resource.id !== id) throw badRequest(`The resource id "${resource.id}" differs from the URL's "${id}"`, 'id');
  return storeUpdate(ctx, req, type, id, resource, { ifMatch: ifMatchVersion(req) });
}

/** conditional update: PUT [type]?[search] (spec 3.1.0.4.3) */
export async function conditionalUpdate(ctx: RouterContext, req: FhirRequest, type: string): Promise<FhirResult> {
  const resource = resourceBody(req, type);
  const ids = await ctx.search.findMatchingIds(ctx.repo, type, req.query, 2);
  if (ids.length > 1) throw preconditionFailed(`The conditional update matched ${ids.length} ${type} resources`);
  if (ids.length === 1) {
    if (resource.id !== undefined && resource.id !== ids[0]) {
      throw badRequest(`The resource id "${resource.id}" differs from the matching ${type}/${ids[0]}`, 'id');
    }
    // The body may leave the id out (spec 3.1.0.4.3); it is the match's, and validation of an update needs it.
    return storeUpdate(ctx, req, type, ids[0], { ...resource, id: ids[0] }, { ifMatch: ifMatchVersion(req) });
  }
  if (resource.id !== undefined && !isValidId(resource.id)) throw badRequest(`"${resource.id}" is not a valid id`, 'id');
  // No match: create, with the client's id when it gave one.
  const id = resource.id ?? crypto.randomUUID();
  return storeUpdate(ctx, req, type, id, { ...resource, id }, { freshId: resource.id === undefined });
}
