import type { CapabilityStatement, CapabilityStatementRestResource, CapabilityStatementRestResourceSearchParam } from 'fhir/r4';
import { R4_RESOURCE_TYPES } from '../../fhir/resource-types';
import { APPEND_ONLY_TYPES, REWRITING_INTERACTIONS } from '../append-only';
import type { RouterContext } from '../context';
import type { FhirResult } from '../types';

/** What other layers contribute to the CapabilityStatement (search parameters, profiles, security). */
export interface CapabilityContributions {
  searchParams(type: string): CapabilityStatementRestResourceSearchParam[];
  supportedProfiles(type: string): string[];
  security?: () => NonNullable<CapabilityStatement['rest']>[number]['security'];
  software: { name: string; version: string };
}

const TYPE_INTERACTIONS = ['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'history-type', 'create', 'search-type'] as const;

/**
 * The CapabilityStatement (spec 3.1.0.11), generated from what the server really has: served types, the
 * interactions the router implements, the search parameter registry, registered operations and loaded profiles.
 */
export function capabilityStatement(ctx: RouterContext, contrib: CapabilityContributions): CapabilityStatement {
  const operations = [...ctx.operations.values()];
  // Every type the server would accept, not only those written so far (ctx.servedTypes() is the latter).
  const served = [...R4_RESOURCE_TYPES].filter((t) => ctx.isServedType(t)).sort();
  const resource: CapabilityStatementRestResource[] = served.map((type) => {
    const mutable = !APPEND_ONLY_TYPES.has(type);
    const r: CapabilityStatementRestResource = {
      type: type as CapabilityStatementRestResource['type'],
      profile: `http://hl7.org/fhir/StructureDefinition/${type}`,
      interaction: TYPE_INTERACTIONS.filter((c) => mutable || !REWRITING_INTERACTIONS.has(c)).map((code) => ({ code })),
      versioning: 'versioned-update',
      readHistory: true,
      updateCreate: mutable,
      conditionalCreate: true,
      conditionalRead: 'full-support',
      conditionalUpdate: mutable,
      conditionalDelete: mutable ? 'single' : 'not-supported',
      searchParam: contrib.searchParams(type),
    };
    const profiles = contrib.supportedProfiles(type);
    if (profiles.length) r.supportedProfile = profiles;
    const ops = operations.filter((o) => o.types === '*' || o.types?.includes(type) || o.typeDefinitions?.[type]);
    if (ops.length) r.operation = ops.map((o) => ({ name: o.name, definition: o.typeDefinitions?.[type] ?? o.definition }));
    return r;
  });
  const security = contrib.security?.();
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString(),
    kind: 'instance',
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
        interaction: [{ code: 'transaction' }, { code: 'batch' }, { code: 'search-system' }, { code: 'history-system' }],
        operation: operations.filter((o) => o.system).map((o) => ({ name: o.name, definition: o.definition })),
      },
    ],
  };
}

export function capabilities(ctx: RouterContext, contrib: CapabilityContributions): FhirResult {
  return { status: 200, body: capabilityStatement(ctx, contrib) };
}
