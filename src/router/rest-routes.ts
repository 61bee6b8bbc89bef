import type { Bundle } from 'fhir/r4';
import { badRequest } from '../errors/operation-outcome-error';
import type { RouterContext } from './context';
import { conditionalDelete, remove } from './interactions/delete';
import { create } from './interactions/create';
import { history } from './interactions/history';
import { patch } from './interactions/patch';
import { read, vread } from './interactions/read';
import { search } from './interactions/search';
import { conditionalUpdate, update } from './interactions/update';
import type { Route } from './route';
import type { FhirRequest, FhirResult } from './types';

function requireConditions(req: FhirRequest): FhirRequest {
  if (!req.query.some(([k]) => !k.startsWith('_format') && k !== '_pretty')) {
    throw badRequest('A conditional update or delete needs search parameters in the URL');
  }
  return req;
}

const SYSTEM_SEARCH = { grant: 'search', what: 'system-level search' } as const;

/**
 * The RESTful API's interactions (spec 3.1.0, "RESTful API" URL patterns) as data. Capability codes are listed on
 * the route that implements them; `POST [type]/_search` is the same search-type as `GET [type]`.
 */
export function restRoutes(deps: { bundle?: (ctx: RouterContext, req: FhirRequest) => Promise<FhirResult> }): Route[] {
  const routes: Route[] = [
    {
      methods: ['GET'],
      path: '',
      interaction: 'search',
      capability: ['search-system'],
      grantOnSomeType: SYSTEM_SEARCH,
      handler: (ctx, req) => search(ctx, req, undefined),
    },
    { methods: ['POST'], path: '_search', interaction: 'search', grantOnSomeType: SYSTEM_SEARCH, handler: (ctx, req) => search(ctx, req, undefined) },
    {
      methods: ['GET'],
      path: '_history',
      interaction: 'history',
      capability: ['history-system'],
      grantOnSomeType: { grant: 'search', what: 'system-level history' },
      handler: (ctx, req) => history(ctx, req),
    },
    { methods: ['GET'], path: '{type}', interaction: 'search', capability: ['search-type'], handler: (ctx, req, p) => search(ctx, req, p.type) },
    { methods: ['POST'], path: '{type}', interaction: 'create', capability: ['create'], handler: (ctx, req, p) => create(ctx, req, p.type) },
    { methods: ['PUT'], path: '{type}', interaction: 'update', rewrites: true, handler: (ctx, req, p) => conditionalUpdate(ctx, requireConditions(req), p.type) },
    { methods: ['DELETE'], path: '{type}', interaction: 'delete', rewrites: true, handler: (ctx, req, p) => conditionalDelete(ctx, requireConditions(req), p.type) },
    { methods: ['POST'], path: '{type}/_search', interaction: 'search', handler: (ctx, req, p) => search(ctx, req, p.type) },
    { methods: ['GET'], path: '{type}/_history', interaction: 'history', capability: ['history-type'], handler: (ctx, req, p) => history(ctx, req, p.type) },
    { methods: ['GET'], path: '{type}/{id}', interaction: 'read', capability: ['read'], handler: (ctx, req, p) => read(ctx, req, p.type, p.id) },
    { methods: ['PUT'], path: '{type}/{id}', interaction: 'update', capability: ['update'], rewrites: true, handler: (ctx, req, p) => update(ctx, req, p.type, p.id) },
    { methods: ['PATCH'], path: '{type}/{id}', interaction: 'patch', capability: ['patch'], rewrites: true, handler: (ctx, req, p) => patch(ctx, req, p.type, p.id) },
    { methods: ['DELETE'], path: '{type}/{id}', interaction: 'delete', capability: ['delete'], rewrites: true, handler: (ctx, req, p) => remove(ctx, req, p.type, p.id) },
    {
      methods: ['GET'],
      path: '{type}/{id}/_history',
      interaction: 'history',
      capability: ['history-instance'],
      handler: (ctx, req, p) => history(ctx, req, p.type, p.id),
    },
    { methods: ['GET'], path: '{type}/{id}/_history/{vid}', interaction: 'vread', capability: ['vread'], handler: (ctx, req, p) => vread(ctx, req, p.type, p.id, p.vid) },
    {
      methods: ['GET'],
      path: '{type}/{id}/{compartment}',
      interaction: 'search',
      handler: (ctx, req, p) => search(ctx, req, p.compartment, { type: p.type, id: p.id }),
    },
    {
      methods: ['POST'],
      path: '{type}/{id}/{compartment}/_search',
      interaction: 'search',
      handler: (ctx, req, p) => search(ctx, req, p.compartment, { type: p.type, id: p.id }),
    },
  ];
  const bundle = deps.bundle;
  if (bundle) {
    routes.push({
      methods: ['POST'],
      path: '',
      interaction: (req) => ((req.body as Bundle | undefined)?.type === 'batch' ? 'batch' : 'transaction'),
      capability: ['transaction', 'batch'],
      handler: (ctx, req) => bundle(ctx, req),
    });
  }
  return routes;
}
