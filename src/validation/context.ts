import type { Conformance } from './conformance';
import type { Finding } from './issues';

/** A literal reference whose target must exist, checked after the walk with the repository's callback. */
export interface PendingReference {
  type: string;
  id: string;
  location: string;
  reference: string;
}

export interface ReferenceOptions {
  referenceExists?: (type: string, id: string) => Promise<boolean>;
  storedTypes?: (type: string) => boolean;
}

/**
 * Validates a resource nested in the one being walked (contained, Bundle entry) through every layer: given by the
 * resource-level validator (resource-validation.ts), which the walk cannot import without a cycle.
 */
export type NestedResourceValidator = (resource: unknown, location: string, contained: boolean, ctx: ValidationContext) => void;

/**
 * State of one validation: everything found so far, and what has been done already so that walking the base
 * definition and then each profile over the same resource does not evaluate the same invariant or binding twice.
 */
export interface ValidationContext {
  /** The server's definitions and terminology, and its memo of what is derived from them. */
  conformance: Conformance;
  findings: Finding[];
  /** `%resource`: the resource being walked (a contained or Bundle entry resource while inside one). */
  resource: Record<string, unknown>;
  /** `%rootResource`: the resource that contains `resource` (itself at top level). */
  rootResource: Record<string, unknown>;
  /** Ids of the resources contained in `rootResource`, which `#id` references must name. */
  containedIds: Set<string>;
  /** Walking a Bundle or a resource inside one, where a `urn:uuid:` reference names another entry's fullUrl. */
  inBundle: boolean;
  pendingReferences: Map<string, PendingReference>;
  /** `${what}@${location}` already checked. */
  done: Set<string>;
  options: ReferenceOptions;
  validateNested: NestedResourceValidator;
}

export function containedIdsOf(resource: Record<string, unknown>): Set<string> {
  const ids = new Set<string>();
  const contained = resource.contained;
  if (Array.isArray(contained)) {
    for (const c of contained) if (c && typeof c === 'object' && typeof c.id === 'string') ids.add(c.id);
  }
  return ids;
}

export function newContext(
  conformance: Conformance,
  resource: Record<string, unknown>,
  options: ReferenceOptions,
  validateNested: NestedResourceValidator,
): ValidationContext {
  return {
    conformance,
    findings: [],
    resource,
    rootResource: resource,
    containedIds: containedIdsOf(resource),
    inBundle: resource.resourceType === 'Bundle',
    pendingReferences: new Map(),
    done: new Set(),
    options,
    validateNested,
  };
}

/** True the first time `key` is seen in this validation. */
export function firstTime(ctx: ValidationContext, key: string): boolean {
  if (ctx.done.has(key)) return false;
  ctx.done.add(key);
  return true;
}
