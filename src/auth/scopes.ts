import { R4_RESOURCE_TYPES } from '../fhir/resource-types';
import type { AccessInteraction } from './access-policy';

/**
 * SMART on FHIR resource scopes, App Launch 1.0 (`patient/*.read`) and 2.0 (`patient/Condition.rs?category=...`).
 * Both versions are reduced to the v2 permission letters so the policy has one rule set.
 */
export type ScopeContext = 'patient' | 'user' | 'system';
export type Permission = 'c' | 'r' | 'u' | 'd' | 's';

export interface ScopeGrant {
  context: ScopeContext;
  /** A resource type or '*'. */
  resourceType: string;
  permissions: ReadonlySet<Permission>;
  /** SMART v2 granular restriction: the search query after '?', e.g. 'category=problem-list-item'. */
  query?: string;
  version: 1 | 2;
  /** The scope as written. */
  raw: string;
}

export interface ParsedScopes {
  grants: ScopeGrant[];
  /** Scopes that are not about FHIR resources (openid, fhirUser, launch/patient, offline_access, ...). */
  other: string[];
  /** Scopes that look like resource scopes but are malformed (unknown type, bad permissions, ...). */
  invalid: Array<{ scope: string; reason: string }>;
}

const PERMISSION_ORDER: readonly Permission[] = ['c', 'r', 'u', 'd', 's'];
const V1_PERMISSIONS: Record<string, readonly Permission[]> = {
  read: ['r', 's'],
  write: ['c', 'u', 'd'],
  '*': PERMISSION_ORDER,
};
// Parameters that shape a result set rather than select resources: meaningless as a restriction.
const RESULT_PARAMETERS = new Set(['_include', '_revinclude', '_count', '_sort', '_summary', '_elements', '_total', '_contained', '_containedType']);
const RESOURCE_SCOPE = /^(patient|user|system)\/([^.?\s]+)\.([^?\s]+)(?:\?(.*))?$/;

export const INTERACTION_PERMISSION: Record<AccessInteraction, Permission> = {
  read: 'r',
  search: 's',
  create: 'c',
  update: 'u',
  delete: 'd',
};

/** Parses one scope; `undefined` for a scope that is not a resource scope at all. Throws on a malformed one. */
export function parseScope(scope: string): ScopeGrant | undefined {
  const m = RESOURCE_SCOPE.exec(scope);
  if (!m) {
    if (/^(patient|user|system)\//.test(scope)) throw new Error('malformed resource scope');
    return undefined;
  }
  const [, context, resourceType, perms, query] = m;
  if (resourceType !== '*' && !R4_RESOURCE_TYPES.has(resourceType)) {
    throw new Error(`unknown resource type "${resourceType}"`);
  }
  const v1 = V1_PERMISSIONS[perms];
  const permissions = v1 ?? parseV2Permissions(perms);
  const grant: ScopeGrant = {
    context: context as ScopeContext,
    resourceType,
    permissions: new Set(permissions),
    version: v1 ? 1 : 2,
    raw: scope,
  };
  if (query !== undefined) {
    if (v1) throw new Error('search restrictions need SMART v2 permissions (e.g. .rs), not .read/.write/.*');
    if (resourceType === '*') throw new Error('search restrictions need a resource type, not *');
    grant.query = parseGranularQuery(query);
  }
  return grant;
}

function parseV2Permissions(perms: string): Permission[] {
  // v2 requires the letters in the order c, r, u, d, s, each at most once.
  let at = 0;
  const out: Permission[] = [];
  for (const ch of perms) {
    const idx = PERMISSION_ORDER.indexOf(ch as Permission, at);
    if (idx < 0) throw new Error(`permissions "${perms}" must be a subset of "cruds" in that order, or read/write/*`);
    out.push(PERMISSION_ORDER[idx]);
    at = idx + 1;
  }
  return out;
}

function parseGranularQuery(query: string): string {
  if (query === '') throw new Error('empty search restriction after "?"');
  const params = new URLSearchParams(query);
  for (const [name, value] of params) {
    if (!/^[A-Za-z_][A-Za-z0-9_\-.:]*$/.test(name) || value === '') {
      throw new Error(`search restriction "${query}" must be name=value pairs`);
    }
    if (RESULT_PARAMETERS.has(name)) {
      throw new Error(`${name} shapes results and cannot restrict what a scope grants`);
    }
  }
  return query;
}

/** Parses a space-separated scope string (or a JWT `scp` array) without throwing. */
export function parseScopes(scopes: string | readonly string[] | undefined): ParsedScopes {
  const list = typeof scopes === 'string' ? scopes.split(/\s+/) : (scopes ?? []);
  const out: ParsedScopes = { grants: [], other: [], invalid: [] };
  for (const scope of list) {
    if (!scope) continue;
    try {
      const grant = parseScope(scope);
      if (grant) out.grants.push(grant);
      else out.other.push(scope);
    } catch (err) {
      out.invalid.push({ scope, reason: (err as Error).message });
    }
  }
  return out;
}

export function grantCovers(grant: ScopeGrant, type: string, permission: Permission): boolean {
  return (grant.resourceType === '*' || grant.resourceType === type) && grant.permissions.has(permission);
}

/** Writes a grant back as a scope string: v1 form when it came as v1 and still means the same, else v2. */
export function formatScope(grant: ScopeGrant): string {
  const letters = PERMISSION_ORDER.filter((p) => grant.permissions.has(p)).join('');
  let perms = letters;
  if (grant.version === 1 && grant.query === undefined) {
    const v1 = Object.entries(V1_PERMISSIONS).find(([, ps]) => ps.join('') === letters);
    if (v1) perms = v1[0];
  }
  return `${grant.context}/${grant.resourceType}.${perms}${grant.query !== undefined ? `?${grant.query}` : ''}`;
}

/**
 * What both grants allow: the narrower type, the common permissions, and the restriction of either. Undefined when
 * nothing is left. Two different search restrictions cannot be expressed as one scope, so that pair yields
 * nothing rather than something wider.
 */
export function intersectGrants(requested: ScopeGrant, allowed: ScopeGrant): ScopeGrant | undefined {
  if (requested.context !== allowed.context) return undefined;
  let resourceType: string;
  if (allowed.resourceType === '*') resourceType = requested.resourceType;
  else if (requested.resourceType === '*' || requested.resourceType === allowed.resourceType) {
    resourceType = allowed.resourceType;
  } else return undefined;
  const permissions = new Set([...requested.permissions].filter((p) => allowed.permissions.has(p)));
  if (permissions.size === 0) return undefined;
  if (requested.query !== undefined && allowed.query !== undefined && requested.query !== allowed.query) {
    return undefined;
  }
  const query = requested.query ?? allowed.query;
  const grant: ScopeGrant = { context: requested.context, resourceType, permissions, version: requested.version, raw: '' };
  if (query !== undefined) {
    // A restriction needs a concrete type and v2 letters.
    if (resourceType === '*') return undefined;
    grant.query = query;
    grant.version = 2;
  }
  grant.raw = formatScope(grant);
  return grant;
}
