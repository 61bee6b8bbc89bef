import { badRequest, forbidden, notFound, notSupported } from '../errors/operation-outcome-error';
import { R4_RESOURCE_TYPES } from '../fhir/resource-types';
import type { AccessInteraction } from '../auth/access-policy';
import { APPEND_ONLY_TYPES } from './append-only';
import type { RouterContext } from './context';
import { capabilities, type CapabilityContributions } from './interactions/capabilities';
import { create } from './interactions/create';
import { conditionalDelete, remove } from './interactions/delete';
import { history } from './interactions/history';
import { patch } from './interactions/patch';
import { read, vread } from './interactions/read';
import { search } from './interactions/search';
import { conditionalUpdate, update } from './interactions/update';
import { isDotsOnly, isTypeName, isValidId } from './paths';
import { DOTS_ONLY_MESSAGE } from '../fhir/resource-id';
import type { FhirRequest, FhirResult } from './types';

export interface RouterDeps {
  capabilities: CapabilityContributions;
  /** POST to the base: transaction/batch Bundles (src/bundle). */
  bundle?: (ctx: RouterContext, req: FhirRequest) => Promise<FhirResult>;
  /** Types whose create is owned by another layer (AuditEvent: the audit trail chains it). */
  createHandlers?: Record<string, (ctx: RouterContext, req: FhirRequest) => Promise<FhirResult>>;
}

const TYPE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH'];

function assertMutable(type: string, method: string): void {
  if (APPEND_ONLY_TYPES.has(type) && (method === 'PUT' || method === 'PATCH' || method === 'DELETE')) {
    throw notSupported(`${type} is append-only: ${method} is not allowed`, ['GET', 'POST']);
  }
}

/**
 * Maps a FhirRequest to the interaction or operation that answers it (spec 3.1.0 "RESTful API" URL patterns).
 * Independent of Express: HTTP requests and bundle entries both come through here.
 */
export async function route(ctx: RouterContext, deps: RouterDeps, req: FhirRequest): Promise<FhirResult> {
  const parts = req.path === '' ? [] : req.path.split('/');
  const method = req.method === 'HEAD' ? 'GET' : req.method;
  const [first, second, third, fourth] = parts;

  if (parts.length === 0) {
    if (method === 'GET') {
      assertGrantOnSomeType(ctx, 'system-level search', 'search');
      return search(ctx, req, undefined);
    }
    if (method === 'POST' && deps.bundle) return deps.bundle(ctx, req);
    throw notSupported(`${req.method} is not supported at the base URL`, ['GET', 'POST']);
  }
  if (first.startsWith('$')) return operation(ctx, req, first, {});
  if (first === 'metadata' && parts.length === 1) {
    if (method !== 'GET') throw notSupported('metadata is read-only', ['GET']);
    return capabilities(ctx, deps.capabilities);
  }
  if (first === '_search' && parts.length === 1) {
    if (method !== 'POST') throw notSupported('_search takes POST', ['POST']);
    assertGrantOnSomeType(ctx, 'system-level search', 'search');
    return search(ctx, req, undefined);
  }
  if (first === '_history' && parts.length === 1) {
    if (method !== 'GET') throw notSupported('history is read-only', ['GET']);
    assertGrantOnSomeType(ctx, 'system-level history', 'search');
    return history(ctx, req);
  }
  if (!isTypeName(first) || !ctx.isServedType(first)) throw notFound(`Resource type "${first}" is not served here`);
  const type = first;
  assertMutable(type, method);

  if (parts.length === 1) {
    switch (method) {
      case 'GET':
        return search(ctx, req, type);
      case 'POST':
        return deps.createHandlers?.[type] ? deps.createHandlers[type](ctx, req) : create(ctx, req, type);
      case 'PUT':
        return conditionalUpdate(ctx, requireConditions(req), type);
      case 'DELETE':
        return conditionalDelete(ctx, requireConditions(req), type);
      default:
        throw notSupported(`${req.method} is not supported on ${type}`, TYPE_METHODS);
    }
  }
  if (second === '_search' && parts.length === 2) {
    if (method !== 'POST') throw notSupported('_search takes POST', ['POST']);
    return search(ctx, req, type);
  }
  if (second === '_history' && parts.length === 2) {
    if (method !== 'GET') throw notSupported('history is read-only', ['GET']);
    return history(ctx, req, type);
  }
  if (second.startsWith('$') && parts.length === 2) return operation(ctx, req, second, { type });
  if (isDotsOnly(second)) throw badRequest(DOTS_ONLY_MESSAGE);
  if (!isValidId(second)) throw notFound(`"${second}" is not a valid resource id`);
  const id = second;

  if (parts.length === 2) {
    switch (method) {
      case 'GET':
        return read(ctx, req, type, id);
      case 'PUT':
        return update(ctx, req, type, id);
      case 'PATCH':
        return patch(ctx, req, type, id);
      case 'DELETE':
        return remove(ctx, req, type, id);
      default:
        throw notSupported(`${req.method} is not supported on ${type}/${id}`, ['GET', 'PUT', 'PATCH', 'DELETE']);
    }
  }
  if (third === '_history') {
    if (method !== 'GET') throw notSupported('history is read-only', ['GET']);
    if (parts.length === 3) return history(ctx, req, type, id);
    if (parts.length === 4) return vread(ctx, req, type, id, fourth);
  }
  if (third.startsWith('$') && parts.length === 3) return operation(ctx, req, third, { type, id });
  const viaPost = parts.length === 4 && fourth === '_search';
  if ((parts.length === 3 || viaPost) && isTypeName(third)) {
    if (viaPost ? method !== 'POST' : method !== 'GET') throw notSupported(`Compartment search takes ${viaPost ? 'POST' : 'GET'}`, [viaPost ? 'POST' : 'GET']);
    if (!ctx.isServedType(third)) throw notFound(`Resource type "${third}" is not served here`);
    return search(ctx, req, third, { type, id });
  }
  throw notFound(`No FHIR interaction at "${req.path}"`);
}

/**
 * System-level search covers the types the token may search, history those it may read; a token with that grant on
 * no type gets 403, as on a type it does not cover, not an empty Bundle.
 */
function assertGrantOnSomeType(ctx: RouterContext, what: string, grant: AccessInteraction): void {
  const policy = ctx.repo.policy;
  const granted = (t: string) => ctx.isServedType(t) && policy.allows(t, grant);
  if (![...R4_RESOURCE_TYPES].some(granted)) throw forbidden(`The access token does not allow ${grant} on any resource type: no ${what}`);
}

function requireConditions(req: FhirRequest): FhirRequest {
  if (!req.query.some(([k]) => !k.startsWith('_format') && k !== '_pretty')) {
    throw badRequest('A conditional update or delete needs search parameters in the URL');
  }
  return req;
}

async function operation(
  ctx: RouterContext,
  req: FhirRequest,
  segment: string,
  target: { type?: string; id?: string },
): Promise<FhirResult> {
  const name = segment.slice(1);
  const op = ctx.operations.get(name);
  const level = target.id ? op?.instance : target.type ? op && (op.types === '*' || op.types?.includes(target.type)) : op?.system;
  if (!op || !level) throw notFound(`Operation $${name} is not supported here`);
  return op.handler(ctx, req, target);
}
