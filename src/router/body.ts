import type { Resource } from 'fhir/r4';
import { badRequest } from '../errors/operation-outcome-error';
import type { FhirRequest } from './types';

/** The request body as a resource of `type`: 400 for anything else (spec 3.1.0.4/3.1.0.5). */
export function resourceBody(req: FhirRequest, type: string): Resource {
  const body = req.body;
  if (body === undefined || body === null) throw badRequest(`The request needs a ${type} resource as its body`);
  if (typeof body !== 'object' || Array.isArray(body)) throw badRequest('The request body must be a JSON object');
  const rt = (body as { resourceType?: unknown }).resourceType;
  if (typeof rt !== 'string') throw badRequest('The body has no resourceType', 'resourceType');
  if (rt !== type) throw badRequest(`The body is a ${rt}, but the URL is for ${type}`, 'resourceType');
  return body as Resource;
}
