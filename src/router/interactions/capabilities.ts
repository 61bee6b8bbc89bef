import type { CapabilityStatement, CapabilityStatementRestResource, CapabilityStatementRestResourceSearchParam } from 'fhir/r4';
import { R4_RESOURCE_TYPES } from '../../fhir/resource-types';
import { operationTypes, type Operation } from '../../operations/operation';
import { APPEND_ONLY_TYPES } from '../append-only';
import type { RouterContext } from '../context';
import type { CompiledRoute } from '../route';
import type { FhirResult } from '../types';

/** What other layers contribute to the CapabilityStatement (search parameters, profiles, security, conformance). */
export interface CapabilityContributions {
  searchParams(type: string): CapabilityStatementRestResourceSearchParam[];
  supportedProfiles(type: string): string[];
  security?: () => NonNullable<CapabilityStatement['rest']>[number]['security'];
  /** Canonical URLs of CapabilityStatements whose rules the server follows (an IG's server statement). */
  instantiates?: readonly string[];
  software: { name: string; version: string };
}

/** What the statement is generated from: the route table (src/router/router.ts). */
export interface CapabilitySource {
  routes: readonly CompiledRoute[];
  operations: readonly Operation[];
}

type TypeInteraction = NonNullable<CapabilityStatementRestResource['interaction']>[number]['code'];
type SystemInteraction = NonNullable<NonNullable<CapabilityStatement['rest']>[number]['interaction']>[number]['code'];

const startsWithType = (r: CompiledRoute) => r.segments.length > 0 && 'param' in r.segments[0] && r.segments[0].param === 'type';

/** The interaction codes the routes implement for one type (system-level ones when `type` is undefined). */
function interactionCodes(routes: readonly CompiledRoute[], type: string | undefined): string[] {
  const codes = new Set<string>();
  for (const r of routes) {
    if (!r.capability || startsWithType(r) !== (type !== undefined)) continue;
    if (type !== undefined && ((r.types && !r.types.includes(type)) || (r.rewrites && APPEND_ONLY_TYPES.has(type)))) continue;
    for (const code of r.capability) codes.add(code);
  }
  return [...codes];
}

/** Operations invoked on a type or its instances, by the definition that applies there. */
function typeOperations(operations: readonly Operation[], type: string) {
  return operations
    .filter((o) => (o.definition.type || o.definition.instance) && (operationTypes(o)?.includes(type) ?? true))
    .map((o) => ({ name: o.definition.code, definition: o.definition.url }));
}

/**
 * The CapabilityStatement (spec 3.1.0.11), generated from what the server really has: served types, the
 * interactions the router implements, the search parameter registry, registered operations and loaded profiles.
 */
export function capabilityStatement(ctx: RouterContext, source: CapabilitySource, contrib: CapabilityContributions): CapabilityStatement {
  // Every type the server would accept, not only those written so far (ctx.servedTypes() is the latter).
  const served = [...R4_RESOURCE_TYPES].filter((t) => ctx.isServedType(t)).sort();
  const resource: CapabilityStatementRestResource[] = served.map((type) => {
    const mutable = !APPEND_ONLY_TYPES.has(type);
    const r: CapabilityStatementRestResource = {
      type: type as CapabilityStatementRestResource['type'],
      profile: `http://hl7.org/fhir/StructureDefinition/${type}`,
      interaction: interactionCodes(source.routes, type).map((code) => ({ code: code as TypeInteraction })),
      versioning: 'versioned-update',
      readHistory: true,
      updateCreate: mutable,
      conditionalCreate: true,
      conditionalRead: 'full-support',
      conditionalUpdate: mutable,
      conditionalDelete: mutable ? 'single' : 'not-supported',
      searchParam: contrib.searchParams(type),
      // Provenance.target may name any resource, and US Core asks servers to say so for the types it profiles.
      ...(served.includes('Provenance') ? { searchRevInclude: ['Provenance:target'] } : {}),
    };
    const profiles = contrib.supportedProfiles(type);
    if (profiles.length) r.supportedProfile = profiles;
    const ops = typeOperations(source.operations, type);
    if (ops.length) r.operation = ops;
    return r;
  });
  const security = contrib.security?.();
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString(),
    kind: 'instance',
    ...(contrib.instantiates?.length ? { instantiates: [...contrib.instantiates] } : {}),
    software: contrib.software,
    implementation: { description: 'FHIR R4 server', url: ctx.baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'application/json'],
    patchFormat: ['application/json-patch+json', 'application/fhir+json'],
    rest: [
      {
        mode: 'server',
        ...(security ? { security } : {}),
        resource,
        interaction: interactionCodes(source.routes, undefined).map((code) => ({ code: code as SystemInteraction })),
        operation: source.operations.filter((o) => o.definition.system).map((o) => ({ name: o.definition.code, definition: o.definition.url })),
      },
    ],
  };
}

export function capabilities(ctx: RouterContext, source: CapabilitySource, contrib: CapabilityContributions): FhirResult {
  return { status: 200, body: capabilityStatement(ctx, source, contrib) };
}
