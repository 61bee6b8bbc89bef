import type { OperationOutcomeIssue, StructureDefinition } from 'fhir/r4';
import { R4_RESOURCE_TYPES } from '../fhir/resource-types';
import { baseDefinition, type Conformance } from './conformance';
import { containedIdsOf, newContext, type NestedResourceValidator, type ReferenceOptions, type ValidationContext } from './context';
import { dedupe, finding, type Finding } from './issues';
import { resolvePendingReferences } from './references';
import { structuralFindings } from './structure';
import { walkDefinition } from './walk';
import { isJsonObject } from '../fhir/json';

/**
 * One resource through every layer: JSON structure, then its base definition, the profiles it declares in
 * `meta.profile` and the profiles the caller requires; nested resources (contained, Bundle entries) the same way.
 */

/**
 * A check that needs more than the resource and the definitions (ICD-10-CM codes against the code set of their
 * date of service, which may read the resource's Encounter): its issues count as terminology findings.
 */
export type ResourceCheck = (resource: Record<string, unknown>) => Promise<OperationOutcomeIssue[]>;

export interface CollectOptions extends ReferenceOptions {
  /** Profiles the resource must conform to besides the ones it declares (unknown ones are errors). */
  requiredProfiles?: string[];
  /** Run after the other layers on the top-level resource. */
  resourceCheck?: ResourceCheck;
}

/** The usable definition of a profile for `type`, or undefined after reporting why it cannot be used. */
function usableProfile(url: string, required: boolean, type: string, location: string, ctx: ValidationContext): StructureDefinition | undefined {
  const sd = ctx.conformance.structureDefinition(url);
  if (!sd || !sd.snapshot) {
    const why = sd ? 'has no snapshot' : 'is not known to this server';
    ctx.findings.push(
      required
        ? finding('profile', 'error', 'not-supported', `Profile ${url} ${why}`, location)
        : finding('profile', 'warning', 'not-supported', `Profile ${url} ${why}: the resource was not checked against it`, location),
    );
    return undefined;
  }
  if (sd.type !== type) {
    ctx.findings.push(finding('profile', 'error', 'invalid', `Profile ${url} is for ${sd.type}, not ${type}`, location));
    return undefined;
  }
  return sd;
}

/**
 * A user's profile folder can hold a definition this walker cannot follow (a snapshot with elements out of
 * order, say): that is reported against the profile, as a failed validation, rather than as a server error.
 */
function walkGuarded(sd: StructureDefinition, resource: Record<string, unknown>, location: string, ctx: ValidationContext): void {
  try {
    walkDefinition(sd, resource, location, ctx);
  } catch (err) {
    if (err instanceof RangeError) throw err;
    ctx.findings.push(finding('profile', 'error', 'exception', `Could not validate against ${sd.url}: ${(err as Error).message}`, location));
  }
}

/**
 * A contained resource is reached only through its id (`#id`), so it must have one, and no other contained
 * resource of the same container may share it (R4 references, "Contained Resources").
 */
function containedIdFindings(resource: Record<string, unknown>, location: string): Finding[] {
  const contained = resource.contained;
  if (!Array.isArray(contained)) return [];
  const out: Finding[] = [];
  const seen = new Set<string>();
  contained.forEach((c, i) => {
    if (!isJsonObject(c)) return; // reported by the structural layer
    const at = `${location}.contained[${i}]`;
    if (c.id === undefined) out.push(finding('structure', 'error', 'required', 'A contained resource must have an id', `${at}.id`));
    else if (typeof c.id === 'string' && seen.has(c.id)) {
      out.push(finding('structure', 'error', 'duplicate', `Another contained resource already has the id '${c.id}'`, `${at}.id`));
    }
    if (typeof c.id === 'string') seen.add(c.id);
  });
  return out;
}

function validateOne(resource: unknown, location: string, ctx: ValidationContext, required: string[]): void {
  if (!isJsonObject(resource) || typeof resource.resourceType !== 'string') {
    ctx.findings.push(finding('structure', 'error', 'structure', 'Not a FHIR resource: a JSON object with a resourceType is expected', location));
    return;
  }
  const type = resource.resourceType;
  const base = R4_RESOURCE_TYPES.has(type) ? baseDefinition(type) : undefined;
  if (!base) {
    ctx.findings.push(finding('structure', 'error', 'structure', `Unknown resource type '${type}'`, location));
    return;
  }
  ctx.findings.push(...structuralFindings(resource, type, location), ...containedIdFindings(resource, location));
  const meta = resource.meta as { profile?: unknown } | undefined;
  const declared = Array.isArray(meta?.profile) ? meta.profile.filter((p): p is string => typeof p === 'string') : [];
  const wanted = new Map<string, boolean>(declared.map((url) => [url, false]));
  for (const url of required) wanted.set(url, true);
  const profiles: StructureDefinition[] = [];
  for (const [url, isRequired] of wanted) {
    const sd = usableProfile(url, isRequired, type, location, ctx);
    if (sd) profiles.push(sd);
  }
  // A profile's snapshot restates every rule of the base definition it derives from (tightened where it says
  // so), so the base is walked only when no profile applies: this halves the cost of a profiled resource.
  for (const sd of profiles.length ? profiles : [base]) walkGuarded(sd, resource, location, ctx);
}

/** A contained resource shares its container's `%rootResource` and contained ids; a Bundle entry has its own. */
const validateNested: NestedResourceValidator = (resource, location, contained, ctx) => {
  const inner = isJsonObject(resource) ? resource : {};
  validateOne(
    resource,
    location,
    {
      ...ctx,
      resource: inner,
      rootResource: contained ? ctx.rootResource : inner,
      containedIds: contained ? ctx.containedIds : containedIdsOf(inner),
      inBundle: ctx.inBundle || inner.resourceType === 'Bundle',
    },
    [],
  );
};

const SEVERITY_ORDER = { fatal: 0, error: 1, warning: 2, information: 3 } as const;

/**
 * Every issue, once, errors first. Where the JSON itself is wrong at a location, what later layers say about the
 * same location (a bad code reported again by its binding) is left out.
 */
function finish(findings: Finding[]): Finding[] {
  const structural = new Set(findings.filter((f) => f.layer === 'structure').map((f) => f.issue.expression?.[0]));
  const kept = dedupe(findings).filter((f) => f.layer === 'structure' || !structural.has(f.issue.expression?.[0]));
  return kept.sort((a, b) => SEVERITY_ORDER[a.issue.severity] - SEVERITY_ORDER[b.issue.severity]);
}

export async function collectFindings(conformance: Conformance, resource: unknown, options: CollectOptions): Promise<Finding[]> {
  const type = isJsonObject(resource) && typeof resource.resourceType === 'string' ? resource.resourceType : 'Resource';
  const ctx = newContext(conformance, isJsonObject(resource) ? resource : {}, options, validateNested);
  try {
    validateOne(resource, type, ctx, options.requiredProfiles ?? []);
  } catch (err) {
    // Only a pathologically deep body exhausts the stack (each level is a recursion of the walk and of ajv).
    if (!(err instanceof RangeError)) throw err;
    return [finding('structure', 'error', 'too-costly', 'The resource is nested too deeply to validate', type)];
  }
  await resolvePendingReferences(ctx);
  if (options.resourceCheck && isJsonObject(resource)) {
    for (const issue of await options.resourceCheck(resource)) ctx.findings.push({ layer: 'terminology', issue });
  }
  return finish(ctx.findings);
}
