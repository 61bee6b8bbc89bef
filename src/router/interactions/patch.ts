import type { Resource } from 'fhir/r4';
import * as jsonpatch from 'fast-json-patch';
import { badRequest, unprocessable, unsupportedMediaType } from '../../errors/operation-outcome-error';
import { applyFhirPathPatch, isFhirPathPatch } from '../../patch/fhirpath-patch';
import type { RouterContext } from '../context';
import type { FhirRequest, FhirResult } from '../types';
import { ifMatchVersion, storeUpdate } from './update';

function applyJsonPatch(resource: Resource, ops: unknown): Resource {
  if (!Array.isArray(ops)) throw badRequest('A JSON Patch body must be an array of operations');
  // Without a document, validate() checks only the patch's own syntax (RFC 6902): a malformed patch is 400.
  const error = jsonpatch.validate(ops as jsonpatch.Operation[]);
  if (error) throw badRequest(`JSON Patch operation ${error.index ?? ''} is invalid: ${error.message.split('\n')[0]}`);
  try {
    return jsonpatch.applyPatch(structuredClone(resource), ops as jsonpatch.Operation[], true, false).newDocument;
  } catch (err) {
    // A well-formed patch that does not fit this resource (failing `test`, absent path) is 422 (RFC 5789 2.2);
    // anything else the library refuses (writes through __proto__) is a bad request.
    const message = (err as Error).message.split('\n')[0];
    if (err instanceof jsonpatch.JsonPatchError) throw unprocessable(`JSON Patch could not be applied: ${message}`);
    throw badRequest(`JSON Patch refused: ${message}`);
  }
}

/** patch: PATCH [type]/[id] with JSON Patch or FHIRPath Patch (spec 3.1.0.6). */
export async function patch(ctx: RouterContext, req: FhirRequest, type: string, id: string): Promise<FhirResult> {
  const current = await ctx.repo.read(type, id);
  const resource = JSON.parse(current.r) as Resource;
  let patched: Resource;
  if (req.contentType === 'application/json-patch+json') patched = applyJsonPatch(resource, req.body);
  else if (isFhirPathPatch(req.body)) patched = applyFhirPathPatch(resource, req.body);
  else throw unsupportedMediaType('PATCH takes application/json-patch+json or a FHIRPath Patch Parameters resource');
  if (patched.resourceType !== type || patched.id !== id) {
    throw unprocessable('A patch must not change resourceType or id');
  }
  const ifMatch = ifMatchVersion(req);
  // Without If-Match, the version we patched is the one we expect, so a concurrent change is 412, never lost.
  return storeUpdate(ctx, req, type, id, patched, { ifMatch: ifMatch ?? current.vid, op: 'patch' });
}
