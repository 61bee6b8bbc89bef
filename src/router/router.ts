import { badRequest, forbidden, notFound, notSupported } from '../errors/operation-outcome-error';
import { DOTS_ONLY_MESSAGE } from '../fhir/resource-id';
import { R4_RESOURCE_TYPES } from '../fhir/resource-types';
import { operationRoutes, type Operation } from '../operations/operation';
import { APPEND_ONLY_TYPES } from './append-only';
import type { RouterContext } from './context';
import { capabilities, type CapabilityContributions } from './interactions/capabilities';
import { read } from './interactions/read';
import { isDotsOnly, isTypeName, isValidId } from './paths';
import { restRoutes } from './rest-routes';
import { allowedMethods, byMethod, compileRoutes, interactionOf, matchRoutes, type CompiledRoute, type Route, type RouteMatch, type RouteParams } from './route';
import type { FhirRequest, FhirResult } from './types';

/** Every route the server answers below its FHIR base, and the operations they came from. */
export interface RouteTable {
  routes: readonly CompiledRoute[];
  operations: readonly Operation[];
}

export interface RouteTableParts {
  capabilities: CapabilityContributions;
  /** POST to the base: transaction/batch Bundles (src/bundle). */
  bundle?: (ctx: RouterContext, req: FhirRequest) => Promise<FhirResult>;
  /** Routes of other layers (the audit trail's create, bulk status and files, SMART discovery and token). */
  routes?: readonly Route[];
  operations?: readonly Operation[];
}

/**
 * The one route table. Contributed routes come before the REST interactions, so a layer can answer one type's
 * create (AuditEvent) ahead of the generic one; otherwise patterns do not overlap.
 */
export function buildRouteTable(parts: RouteTableParts): RouteTable {
  const operations = parts.operations ?? [];
  const definitions = new Map(operations.map((o) => [o.definition.id, o.definition]));
  const table: RouteTable = { routes: [], operations };
  const own: Route[] = [
    { methods: ['GET'], path: 'metadata', interaction: 'capabilities', public: true, handler: async (ctx) => capabilities(ctx, table, parts.capabilities) },
    {
      // The definitions of the operations this server implements, readable where the CapabilityStatement points.
      methods: ['GET'],
      path: '{type}/{id}',
      types: ['OperationDefinition'],
      interaction: 'read',
      handler: async (ctx, req, p) => {
        const builtIn = definitions.get(p.id);
        return builtIn ? { status: 200, body: builtIn } : read(ctx, req, p.type, p.id);
      },
    },
  ];
  const routes = [...own, ...(parts.routes ?? []), ...operations.flatMap(operationRoutes), ...restRoutes({ bundle: parts.bundle })];
  return Object.assign(table, { routes: compileRoutes(routes) });
}

/**
 * What the path's parameters name must exist: a served type, a well-formed id. Checked once the caller is
 * authenticated, in the order the spec's URL reads, before the method is (a 404 for an unknown type, not a 405).
 */
function checkParams(ctx: RouterContext, req: FhirRequest, params: RouteParams): void {
  const { type, id, compartment } = params;
  if (type !== undefined && !ctx.isServedType(type)) throw notFound(`Resource type "${type}" is not served here`);
  if (type !== undefined && APPEND_ONLY_TYPES.has(type) && (req.method === 'PUT' || req.method === 'PATCH' || req.method === 'DELETE')) {
    throw notSupported(`${type} is append-only: ${req.method} is not allowed`, ['GET', 'POST']);
  }
  if (id !== undefined) {
    if (isDotsOnly(id)) throw badRequest(DOTS_ONLY_MESSAGE);
    if (!isValidId(id)) throw notFound(`"${id}" is not a valid resource id`);
  }
  if (compartment !== undefined && !ctx.isServedType(compartment)) throw notFound(`Resource type "${compartment}" is not served here`);
}

/** A 404 that says what is missing: an operation, a type, or any interaction at all. */
function noRoute(path: string): never {
  const parts = path.split('/');
  const op = parts.find((p) => p.startsWith('$'));
  if (op) throw notFound(`Operation ${op} is not supported here`);
  if (isTypeName(parts[0]) && !R4_RESOURCE_TYPES.has(parts[0])) throw notFound(`Resource type "${parts[0]}" is not served here`);
  throw notFound(`No FHIR interaction at "${path}"`);
}

/**
 * System-level search covers the types the token may search, history those it may read; a token with that grant on
 * no type gets 403, as on a type it does not cover, not an empty Bundle.
 */
function assertGrantOnSomeType(ctx: RouterContext, route: Route): void {
  if (!route.grantOnSomeType) return;
  const { grant, what } = route.grantOnSomeType;
  const granted = (t: string) => ctx.isServedType(t) && ctx.repo.policy.allows(t, grant);
  if (![...R4_RESOURCE_TYPES].some(granted)) throw forbidden(`The access token does not allow ${grant} on any resource type: no ${what}`);
}

/**
 * The route a request takes, or the 404/405 that says why there is none. Pure until `checkParams`: the HTTP
 * adapter calls it before authentication to learn whether the route is public and how to read the body.
 */
export function selectRoute(table: RouteTable, req: Pick<FhirRequest, 'path'>, opts: { httpOnly: boolean }): RouteMatch[] {
  return matchRoutes(table.routes, req.path, opts).candidates;
}

/**
 * Answers a FhirRequest from the route table. Independent of Express: HTTP requests and bundle entries both come
 * through here (entries do not reach HTTP-only routes). Records on the request which route answered, for audit.
 */
export async function route(ctx: RouterContext, table: RouteTable, req: FhirRequest, opts: { httpOnly: boolean }): Promise<FhirResult> {
  const candidates = selectRoute(table, req, opts);
  if (candidates.length === 0) noRoute(req.path);
  for (const c of candidates) checkParams(ctx, req, c.params);
  const match = byMethod({ candidates }, req.method);
  if (!match) throw notSupported(`${req.method} is not allowed on "${req.path}"`, allowedMethods(candidates));
  const { route: r, params } = match;
  req.route = {
    interaction: interactionOf(r, req),
    resourceType: params.compartment ?? params.type,
    id: params.compartment ? undefined : params.id,
    versionId: params.vid,
    operation: r.operation,
  };
  assertGrantOnSomeType(ctx, r);
  return r.handler(ctx, req, params);
}
