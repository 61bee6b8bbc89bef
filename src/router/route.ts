import type { AuditInteraction } from '../audit/audit-input';
import type { AccessInteraction } from '../auth/access-policy';
import type { RouterContext } from './context';
import { isTypeName } from './paths';
import type { FhirRequest, FhirResult, HttpMethod } from './types';

/** Values a route's path pattern captured: `{type}`, `{id}`, `{vid}`, `{compartment}` and any other `{name}`. */
export type RouteParams = Readonly<Record<string, string>>;

export type RouteHandler = (ctx: RouterContext, req: FhirRequest, params: RouteParams) => Promise<FhirResult>;

/**
 * One row of the route table: what a request is (method and path pattern below the FHIR base), what it is called
 * (the audit trail's interaction and the CapabilityStatement's code), what it needs, and who answers it. The table
 * drives dispatch (src/router/router.ts), the HTTP adapter (authentication, body), audit and the
 * CapabilityStatement, so none of them keeps its own idea of which interaction a request is.
 */
export interface Route {
  /** GET routes answer HEAD too. */
  methods: readonly Exclude<HttpMethod, 'HEAD'>[];
  /**
   * Segments separated by `/`: literals (`_history`, `$validate`), or parameters: `{type}` and `{compartment}` (a
   * resource type name, which must be served), `{id}` (a resource id), `{vid}`, or any other `{name}` (any segment).
   * '' is the base itself.
   */
  path: string;
  /** The interaction in the audit trail's words; a function where the body decides (transaction or batch). */
  interaction: AuditInteraction | ((req: FhirRequest) => AuditInteraction);
  /**
   * CapabilityStatement interaction codes this route implements: type-level codes (`read`, `search-type`, ...)
   * on routes whose path starts with `{type}`, system-level ones (`transaction`, `search-system`, ...) otherwise.
   */
  capability?: readonly string[];
  /** The operation's name (without `$`) when the route invokes one. */
  operation?: string;
  /** Restricts `{type}` to these types (an operation defined on Patient, say). */
  types?: readonly string[];
  /** Changes or removes a stored version: refused (405) on append-only types. */
  rewrites?: boolean;
  /** A system-level route that needs this grant on at least one type (else 403, not an empty answer). */
  grantOnSomeType?: { grant: AccessInteraction; what: string };
  /** Answered without looking at the Authorization header (discovery: the CapabilityStatement, SMART metadata). */
  public?: boolean;
  /** Recorded in the audit trail (default); off only for public documents that hold no one's data. */
  audited?: boolean;
  /** Reached over HTTP only, never as a batch or transaction entry (file downloads, the token endpoint). */
  httpOnly?: boolean;
  /** How the HTTP adapter reads the body: FHIR content (default) or an OAuth form, kept as its raw pairs. */
  body?: 'fhir' | 'form';
  /** A tighter body limit than the server's, in bytes; on a `raw` route, the limit of a raw body instead. */
  bodyLimit?: number;
  /**
   * The route takes and answers raw bytes as well as FHIR JSON (Binary, R4 3.1.0.1.4): a body of any other media
   * type reaches the handler unread, as a `RawBody` stream, and a client that accepts no FHIR format is not refused
   * (406) but asks for `format: 'raw'`.
   */
  raw?: boolean;
  /** Also answers a printable HTML page when asked for one (`_format=html`, or `Accept` preferring text/html). */
  html?: boolean;
  handler: RouteHandler;
}

type Segment = { literal: string } | { param: string };

/** A route with its pattern parsed once. */
export interface CompiledRoute extends Route {
  segments: readonly Segment[];
}

/** A route the path and method selected, with what its pattern captured. */
export interface RouteMatch {
  route: CompiledRoute;
  params: RouteParams;
}

/** What the path alone selected: the routes whose pattern it fits, whatever their methods. */
export interface PathMatch {
  candidates: RouteMatch[];
}

function fits(param: string, segment: string): boolean {
  switch (param) {
    case 'type':
    case 'compartment':
      return isTypeName(segment);
    case 'id':
      // Ids are checked after authentication (a 404 for a malformed id must not answer an unauthenticated caller);
      // here only what can never be an id: the `_history`/`_search` and `$operation` segments.
      return !segment.startsWith('_') && !segment.startsWith('$');
    default:
      return segment.length > 0;
  }
}

export function compileRoutes(routes: readonly Route[]): CompiledRoute[] {
  return routes.map((r) => ({
    ...r,
    segments: r.path === '' ? [] : r.path.split('/').map((s) => (s.startsWith('{') && s.endsWith('}') ? { param: s.slice(1, -1) } : { literal: s })),
  }));
}

function matchPath(route: CompiledRoute, parts: readonly string[]): RouteParams | undefined {
  if (route.segments.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const s = route.segments[i];
    if ('literal' in s) {
      if (s.literal !== parts[i]) return undefined;
    } else {
      if (!fits(s.param, parts[i])) return undefined;
      params[s.param] = parts[i];
    }
  }
  if (route.types && !route.types.includes(params.type)) return undefined;
  return params;
}

/** Every route whose pattern the path fits, in table order. Pure: checks nothing a caller could learn from. */
export function matchRoutes(table: readonly CompiledRoute[], path: string, opts: { httpOnly: boolean }): PathMatch {
  const parts = path === '' ? [] : path.split('/');
  const candidates: RouteMatch[] = [];
  for (const route of table) {
    if (route.httpOnly && !opts.httpOnly) continue;
    const params = matchPath(route, parts);
    if (params) candidates.push({ route, params });
  }
  return { candidates };
}

/** The candidate that answers `method` (HEAD as GET), if any. */
export function byMethod(match: PathMatch, method: HttpMethod): RouteMatch | undefined {
  const m = method === 'HEAD' ? 'GET' : method;
  return match.candidates.find((c) => c.route.methods.includes(m));
}

/** The methods the candidates answer, for a 405's Allow header (HEAD wherever GET is). */
export function allowedMethods(candidates: readonly RouteMatch[]): HttpMethod[] {
  const methods = new Set<HttpMethod>();
  for (const c of candidates) {
    for (const m of c.route.methods) {
      methods.add(m);
      if (m === 'GET') methods.add('HEAD');
    }
  }
  return [...methods];
}

export function interactionOf(route: Route, req: FhirRequest): AuditInteraction {
  return typeof route.interaction === 'function' ? route.interaction(req) : route.interaction;
}
