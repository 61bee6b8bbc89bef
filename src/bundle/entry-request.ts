import type { Binary, BundleEntry, BundleEntryRequest, BundleEntryResponse, OperationOutcome, Resource } from 'fhir/r4';
import { badRequest } from '../errors/operation-outcome-error';
import { preferReturn } from '../router/respond';
import type { FhirRequest, FhirResult, HttpMethod } from '../router/types';
import { checkEntryShape } from './entry-shape';

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  304: 'Not Modified',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  500: 'Internal Server Error',
};

/** Splits an entry's `request.url` (relative, or absolute to this server) into path and query. */
export function splitUrl(url: string, baseUrl: string, element = 'request.url'): { path: string; query: Array<[string, string]> } {
  let rel = url.startsWith(`${baseUrl}/`) ? url.slice(baseUrl.length + 1) : url;
  if (/^[a-z][a-z0-9+.-]*:/i.test(rel)) throw badRequest(`${element} "${url}" is not on this server`, element);
  rel = rel.replace(/^\/+/, '');
  const q = rel.indexOf('?');
  const path = (q < 0 ? rel : rel.slice(0, q)).replace(/\/+$/, '');
  return { path, query: q < 0 ? [] : [...new URLSearchParams(rel.slice(q + 1))] };
}

/** A JSON Patch travels in a bundle as a Binary whose data is the base64 patch document (spec 3.1.0.6). */
function jsonPatchDocument(data: string, index: number): unknown {
  try {
    return JSON.parse(Buffer.from(data, 'base64').toString('utf8'));
  } catch {
    throw badRequest(`Bundle.entry[${index}].resource.data is not a base64 JSON Patch document`, `Bundle.entry[${index}].resource.data`);
  }
}

/**
 * Entries answer with the representation inside the server (the response entry takes lastModified from its
 * meta.lastUpdated, full precision); the client sees it only when it asked (`showsResource`). A 5,000-entry bundle
 * should not echo itself by default.
 */
function entryPrefer(outer: FhirRequest): string {
  const rest = (outer.headers['prefer'] ?? '')
    .split(/[;,]/)
    .map((s) => s.trim())
    .filter((s) => s && !s.startsWith('return='));
  return [`return=${preferReturn(outer) === 'OperationOutcome' ? 'OperationOutcome' : 'representation'}`, ...rest].join('; ');
}

/** A bundle entry as a FhirRequest for the router; the outer request's policy and Prefer header carry over. */
export function entryRequest(entry: unknown, index: number, outer: FhirRequest, baseUrl: string): FhirRequest {
  checkEntryShape(entry, index);
  const r = entry.request as BundleEntryRequest;
  const method = r.method as HttpMethod;
  const url = `Bundle.entry[${index}].request.url`;
  const target = splitUrl(r.url, baseUrl, url);
  if (target.path === '' && method === 'POST') throw badRequest(`${url} cannot be the base: bundles do not nest`, url);
  const headers: Record<string, string | undefined> = { prefer: entryPrefer(outer) };
  if (r.ifMatch) headers['if-match'] = r.ifMatch;
  if (r.ifNoneMatch) headers['if-none-match'] = r.ifNoneMatch;
  if (r.ifNoneExist) headers['if-none-exist'] = r.ifNoneExist;
  if (r.ifModifiedSince) headers['if-modified-since'] = new Date(r.ifModifiedSince).toUTCString();
  const resource = entry.resource;
  const isPatch = method === 'PATCH' && resource?.resourceType === 'Binary';
  return {
    method,
    ...target,
    headers,
    body: isPatch ? jsonPatchDocument((resource as Binary).data as string, index) : resource,
    contentType: isPatch ? 'application/json-patch+json' : 'application/fhir+json',
    policy: outer.policy,
    remoteAddress: outer.remoteAddress,
  };
}

/** Whether the response entry carries the resource: reads and operations always, writes when the client asked. */
export function showsResource(req: FhirRequest, outer: FhirRequest): boolean {
  if (req.method === 'GET' || req.method === 'HEAD' || req.path.split('/').some((p) => p.startsWith('$'))) return true;
  return preferReturn(outer) === 'representation';
}

export function statusLine(status: number): string {
  return `${status} ${STATUS_TEXT[status] ?? ''}`.trim();
}

/** A router result as a response entry: status, location, etag, lastModified, and the body where it belongs. */
export function responseEntry(result: FhirResult, baseUrl: string, withResource: boolean): BundleEntry {
  const h = result.headers ?? {};
  const response: BundleEntryResponse = { status: statusLine(result.status) };
  if (h.Location) response.location = h.Location.startsWith(`${baseUrl}/`) ? h.Location.slice(baseUrl.length + 1) : h.Location;
  if (h.ETag) response.etag = h.ETag;
  if (h['Last-Modified']) response.lastModified = new Date(h['Last-Modified']).toISOString();
  const entry: BundleEntry = { response };
  const body = result.body;
  if (body && !withResource && 'json' in body && body.lastUpdated !== undefined) {
    // A stored version, not an OperationOutcome: the one thing wanted from it is known without parsing it.
    if (response.lastModified) response.lastModified = body.lastUpdated;
  } else if (body) {
    const resource = ('json' in body ? JSON.parse(body.json) : body) as Resource;
    if (resource.resourceType === 'OperationOutcome') response.outcome = resource as OperationOutcome;
    else {
      // The header has second precision; the version's own meta.lastUpdated has it all.
      if (response.lastModified && resource.meta?.lastUpdated) response.lastModified = resource.meta.lastUpdated;
      if (withResource) {
        entry.resource = resource;
        if (resource.id) entry.fullUrl = `${baseUrl}/${resource.resourceType}/${resource.id}`;
      }
    }
  }
  return entry;
}
