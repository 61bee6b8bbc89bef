import type { OperationDefinition, OperationDefinitionParameter } from 'fhir/r4';
import type { AuditInteraction } from '../audit/audit-input';
import type { RouterContext } from '../router/context';
import type { Route } from '../router/route';
import type { FhirRequest, FhirResult } from '../router/types';

export type OperationHandler = (ctx: RouterContext, req: FhirRequest, target: { type?: string; id?: string }) => Promise<FhirResult>;

/**
 * A FHIR operation: its OperationDefinition (published in the CapabilityStatement and readable at
 * `OperationDefinition/[id]`) says where it is invoked (system, type, instance; on which resource types) and
 * whether it changes state; the route table is derived from it (`operationRoutes`).
 */
export interface Operation {
  definition: OperationDefinition & { id: string; url: string };
  /** How the audit trail names it (default 'operation'; `$export` is 'export'). */
  interaction?: AuditInteraction;
  /** Also answers a printable HTML page (the route's `html`: the handler sees `req.format === 'html'`). */
  html?: boolean;
  handler: OperationHandler;
}

/** The types an operation is defined on, or undefined for every type (`Resource`). */
export function operationTypes(op: Operation): string[] | undefined {
  const types = op.definition.resource ?? [];
  return types.includes('Resource') ? undefined : types;
}

/**
 * The routes that invoke an operation: `$code` at the base, `{type}/$code`, `{type}/{id}/$code`, as its definition
 * says. An operation that does not change state may be invoked with GET (spec 3.1.0.14.1), any with POST.
 */
export function operationRoutes(op: Operation): Route[] {
  const d = op.definition;
  const name = `$${d.code}`;
  const methods = d.affectsState ? (['POST'] as const) : (['GET', 'POST'] as const);
  const types = operationTypes(op);
  const common = { methods, interaction: op.interaction ?? 'operation', operation: d.code, ...(op.html ? { html: true } : {}) } as const;
  const routes: Route[] = [];
  if (d.system) routes.push({ ...common, path: name, handler: (ctx, req) => op.handler(ctx, req, {}) });
  if (d.type) routes.push({ ...common, path: `{type}/${name}`, types, handler: (ctx, req, p) => op.handler(ctx, req, { type: p.type }) });
  if (d.instance) {
    routes.push({ ...common, path: `{type}/{id}/${name}`, types, handler: (ctx, req, p) => op.handler(ctx, req, { type: p.type, id: p.id }) });
  }
  return routes;
}

/** One parameter of an OperationDefinition: optional and single unless said otherwise. */
export function parameter(
  use: 'in' | 'out',
  name: string,
  type: NonNullable<OperationDefinitionParameter['type']>,
  opts: { min?: number; max?: string; documentation?: string } = {},
): OperationDefinitionParameter {
  return { name, use, min: opts.min ?? 0, max: opts.max ?? '1', type, ...(opts.documentation ? { documentation: opts.documentation } : {}) };
}
