import type { BundleEntry, BundleEntryResponse, OperationOutcome, Resource } from 'fhir/r4';
import { badRequest } from '../errors/operation-outcome-error';
import type { FhirRequest, FhirResult, HttpMethod } from '../router/types';

const METHODS = new Set<HttpMethod>(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 201: 'Created', 204: 'No Content', 304: 'Not Modified', 400: 'Bad Request', 401: 'Unauthorized',
  403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 410: 'Gone',
  412: 'Precondition Failed', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Entity',
  500: 'Internal Server Error',
};

/** Splits an entry's `request.url` (relative, or absolute to this server) into path and query. */
export function splitUrl(url: string, baseUrl: string): { path: string; query: Array<[string, string]> } {
  let rel = url.startsWith(`${baseUrl}/`) ? url.slice(baseUrl.length + 1) : url;
  if (/^[a-z][a-z0-9+.-]*:/i.test(rel)) throw badRequest(`request.url "${url}" is not on this server`);
  rel = rel.replace(/^\/+/, '');
  const q = rel.indexOf('?');
  const path = (q < 0 ? rel : rel.slice(0, q)).replace(/\/+$/, '');
  return { path, query: q < 0 ? [] : [...new URLSearchParams(rel.slice(q + 1))] };
}

/** A bundle entry as a FhirRequest for the router; the outer request's policy and Prefer header carry over. */
export function entryRequest(entry: BundleEntry, index: number, outer: FhirRequest, baseUrl: string): FhirRequest {
  const r = entry.request;
  if (!r?.method || !r.url) throw badRequest(`Bundle.entry[${index}] needs request.method and request.url`, `Bundle.entry[${index}].request`);
  const method = r.method.toUpperCase() as HttpMethod;
  if (!METHODS.has(method)) throw badRequest(`Bundle.entry[${index}].request.method "${r.method}" is not supported`);
  const { path, query } = splitUrl(r.url, baseUrl);
  // Entries answer minimally unless the client asked for representations: a 5,000-entry bundle should not echo itself.
  const headers: Record<string, string | undefined> = { prefer: outer.headers['prefer'] ?? 'return=minimal' };
  if (r.ifMatch) headers['if-match'] = r.ifMatch;
  if (r.ifNoneMatch) headers['if-none-match'] = r.ifNoneMatch;
  if (r.ifNoneExist) headers['if-none-exist'] = r.ifNoneExist;
  if (r.ifModifiedSince) headers['if-modified-since'] = new Date(r.ifModifiedSince).toUTCString();
  const body = entry.resource as unknown;
  const isPatch = method === 'PATCH' && (entry.resource as Resource | undefined)?.resourceType === 'Binary';
  return {
    method,
    path,
    query,
    headers,
    // A JSON Patch travels in a bundle as a Binary whose data is the base64 patch document (spec 3.1.0.6).
    body: isPatch ? JSON.parse(Buffer.from((body as { data?: string }).data ?? '', 'base64').toString()) : body,
    contentType: isPatch ? 'application/json-patch+json' : 'application/fhir+json',
    policy: outer.policy,
    remoteAddress: outer.remoteAddress,
  };
}

export function statusLine(status: number): string {
  return `${status} ${STATUS_TEXT[status] ?? ''}`.trim();
}

/** A router result as a response entry: status, location, etag, lastModified, and the body where it belongs. */
export function responseEntry(result: FhirResult, baseUrl: string): BundleEntry {
  const h = result.headers ?? {};
  const response: BundleEntryResponse = { status: statusLine(result.status) };
  if (h.Location) response.location = h.Location.startsWith(`${baseUrl}/`) ? h.Location.slice(baseUrl.length + 1) : h.Location;
  if (h.ETag) response.etag = h.ETag;
  if (h['Last-Modified']) response.lastModified = new Date(h['Last-Modified']).toISOString();
  const entry: BundleEntry = { response };
  const body = result.body;
  if (body) {
    const resource = ('json' in body ? JSON.parse(body.json) : body) as Resource;
    if (resource.resourceType === 'OperationOutcome') response.outcome = resource as OperationOutcome;
    else {
      entry.resource = resource;
      if (resource.id) entry.fullUrl = `${baseUrl}/${resource.resourceType}/${resource.id}`;
    }
  }
  return entry;
}
