import type { Resource } from 'fhir/r4';
import { Readable } from 'node:stream';
import type { AuditInteraction } from '../audit/audit-input';
import type { AccessPolicy } from '../auth/access-policy';
import type { AccessTrace } from '../store/access-trace';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * A FHIR request independent of HTTP framework: Express builds one per request, and batch/transaction entries
 * build one per entry, then both go through the same route table (src/router/router.ts).
 */
export interface FhirRequest {
  method: HttpMethod;
  /** Path below the FHIR base, without leading or trailing slash: '', 'Patient', 'Patient/1/_history/2'. */
  path: string;
  /** Query parameters in the order given, repeats kept. */
  query: Array<[string, string]>;
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
  /** Parsed body: a resource, a JSON Patch array, or undefined. */
  body?: unknown;
  /** Media type of the body without parameters, lower case (e.g. 'application/fhir+json'). */
  contentType?: string;
  policy: AccessPolicy;
  /** Network address of the client, for audit. */
  remoteAddress?: string;
  /**
   * Id a transaction pre-assigned to a POST entry (so references to its urn:uuid fullUrl could be rewritten before
   * it was stored). Only set internally by src/bundle; never from HTTP.
   */
  assignedId?: string;
  /** Filled by the repository with what the request read or wrote (audit). */
  trace?: AccessTrace;
  /**
   * Set by the HTTP adapter: `html` when the client asked a route that offers it for a printable HTML page, `raw`
   * when it asked a `raw` route (Binary) for content in its own media type rather than FHIR.
   */
  format?: 'html' | 'raw';
  /** Set by the router: the route that answered, in the audit trail's words. Absent when no route matched. */
  route?: RouteInfo;
}

/**
 * A request body of a `raw` route that is not FHIR content: the bytes as they arrive, never read whole (a Binary
 * upload may be gigabytes). Only the HTTP adapter makes one; the handler must consume or discard `stream`.
 */
export interface RawBody {
  stream: Readable;
  /** The media type as sent, parameters included (`text/plain; charset=utf-8`). */
  contentType: string;
  /** Bytes the handler may take before answering 413. */
  limit: number;
  /** Content-Length, when the client sent one. */
  length?: number;
}

/** A parsed JSON body never holds a stream, so a JSON object shaped like a RawBody is not taken for one. */
export function isRawBody(body: unknown): body is RawBody {
  return typeof body === 'object' && body !== null && (body as Partial<RawBody>).stream instanceof Readable;
}

/** Which interaction the route table found a request to be, and on what. */
export interface RouteInfo {
  interaction: AuditInteraction;
  resourceType?: string;
  id?: string;
  versionId?: string;
  /** Operation name without `$`. */
  operation?: string;
}

/** What the HTTP adapter reports once a request is answered, allowed or denied. */
export interface CompletedRequest {
  /** Absent when the request failed before it became a FHIR request (authentication, negotiation). */
  req?: FhirRequest;
  status: number;
  method: string;
  url: string;
  remoteAddress?: string;
  /** Diagnostics of the error response, if any. */
  error?: string;
  /** The request's `X-Request-Id` (src/http/request-id.ts). */
  requestId?: string;
}

export interface FhirResult {
  status: number;
  headers?: Record<string, string>;
  /**
   * A resource (serialised as JSON), pre-serialised JSON text, or nothing. `lastUpdated` goes with the text of a
   * stored version (its meta.lastUpdated), so a bundle's response entry that leaves the resource out need not parse it.
   */
  body?: Resource | { json: string; lastUpdated?: string } | { stream: Readable };
  /**
   * Media type of the body when it is not FHIR content negotiated with the client: `application/json` (a bulk
   * manifest, SMART metadata, OAuth answers), `application/fhir+ndjson` (an export file).
   */
  contentType?: string;
}
