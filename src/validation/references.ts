import type { ElementDefinition, Reference } from 'fhir/r4';
import { R4_RESOURCE_TYPES } from '../fhir/resource-types';
import { baseDefinition, CORE_SD, type Conformance } from './conformance';
import type { ValidationContext } from './context';
import type { Item } from './element-items';
import type { ElementNode } from './element-tree';
import { finding } from './issues';
import { isJsonObject } from '../fhir/json';

/**
 * Layer 5: literal references. A local `#id` must name a contained resource; a `Type/id` reference must name a
 * type the element allows and, when the server stores that type, a resource that exists (checked afterwards,
 * all at once, through the repository's `referenceExists`). Absolute URLs and conditional references are checked
 * for their type only. A `urn:uuid:` reference names a Bundle entry's fullUrl: a transaction rewrites it before its
 * entries are validated, and inside a stored Bundle (a document) it stays; anywhere else it names nothing, and is
 * refused like a reference to a resource that does not exist once references are checked (`referenceExists`).
 */

const RELATIVE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(\/_history\/[A-Za-z0-9\-.]{1,64})?$/;
const ABSOLUTE = /^https?:\/\/\S+\/([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(\/_history\/[A-Za-z0-9\-.]{1,64})?$/;
const CONDITIONAL = /^([A-Z][A-Za-z]+)\?\S/;

/** Resource type a target profile constrains, or undefined when the profile is not available. */
function profileType(conformance: Conformance, url: string): string | undefined {
  const sd = conformance.structureDefinition(url);
  if (sd) return sd.type;
  return url.startsWith(CORE_SD) ? url.slice(CORE_SD.length) : undefined;
}

function targetProfilesOf(def: ElementDefinition | undefined): string[] {
  return (def?.type ?? []).filter((t) => t.code === 'Reference').flatMap((t) => t.targetProfile ?? []);
}

/**
 * Types an element's references may point to (null: any). A profile's target profile that is not bundled (US
 * Core's us-core-practitioner) falls back to the base element's targets, which every profile narrows.
 */
function allowedTypes(node: ElementNode, conformance: Conformance): Set<string> | null {
  const cache = conformance.memo.referenceTargets;
  const cached = cache.get(node.def);
  if (cached !== undefined) return cached;
  const typeOf = (url: string) => profileType(conformance, url);
  let urls = targetProfilesOf(node.def);
  if (urls.map(typeOf).some((t) => t === undefined) && node.def.base?.path) {
    const basePath = node.def.base.path;
    const baseSd = baseDefinition(basePath.split('.')[0]);
    urls = targetProfilesOf(baseSd?.snapshot?.element.find((e) => e.path === basePath));
  }
  const types = urls.map(typeOf);
  const result = types.length === 0 || types.some((t) => t === undefined || t === 'Resource') ? null : new Set(types as string[]);
  cache.set(node.def, result);
  return result;
}

function parse(reference: string): { type?: string; id?: string; local: boolean } | 'bundle-entry' | 'unchecked' | 'invalid' {
  if (reference.startsWith('#')) return { id: reference.slice(1), local: true };
  if (reference.startsWith('urn:uuid:')) return 'bundle-entry';
  if (reference.startsWith('urn:oid:')) return 'unchecked';
  let m = RELATIVE.exec(reference);
  if (m) return { type: m[1], id: m[2], local: false };
  m = ABSOLUTE.exec(reference) ?? CONDITIONAL.exec(reference);
  if (m) return { type: m[1], local: false };
  return /^[a-z][a-z0-9+.-]*:/i.test(reference) ? 'unchecked' : 'invalid';
}

/** The resourceType of the contained resource `id` of the root resource; undefined when there is none. */
function containedType(ctx: ValidationContext, id: string): string | undefined {
  if (!ctx.containedIds.has(id)) return undefined;
  const contained = ctx.rootResource.contained;
  const match = Array.isArray(contained) ? contained.find((c) => isJsonObject(c) && c.id === id) : undefined;
  // A contained resource without a usable resourceType is reported by the structural layer.
  return isJsonObject(match) && typeof match.resourceType === 'string' ? match.resourceType : '';
}

/** Is `type` a target the element allows? Reports it when not (an empty type is left to the structural layer). */
function checkTargetType(node: ElementNode, type: string, at: string, source: string, ctx: ValidationContext): boolean {
  const allowed = allowedTypes(node, ctx.conformance);
  if (!allowed || type === '' || allowed.has(type)) return true;
  ctx.findings.push(
    finding('reference', 'error', 'structure', `Reference to ${type} is not allowed here: ${node.def.path} may refer to ${[...allowed].join(', ')} (${source})`, at),
  );
  return false;
}

export function checkReference(node: ElementNode, item: Item, ctx: ValidationContext, source: string): void {
  const ref = item.value as Reference;
  if (typeof ref?.reference !== 'string') return;
  const at = `${item.location}.reference`;
  const parsed = parse(ref.reference);
  if (parsed === 'unchecked') return;
  if (parsed === 'bundle-entry') {
    if (!ctx.inBundle && ctx.options.referenceExists) {
      const message = `Reference '${ref.reference}' names a Bundle entry's fullUrl: outside a transaction or Bundle it names no resource; use Type/id`;
      ctx.findings.push(finding('reference', 'error', 'not-found', message, at));
    }
    return;
  }
  if (parsed === 'invalid') {
    ctx.findings.push(finding('reference', 'error', 'invalid', `Invalid reference '${ref.reference}': expected Type/id, #id or an absolute URL`, at));
    return;
  }
  if (parsed.local) {
    if (parsed.id === '') return; // `#` is the container itself
    const target = containedType(ctx, parsed.id as string);
    if (target === undefined) {
      ctx.findings.push(finding('reference', 'error', 'not-found', `Reference '${ref.reference}' does not match any contained resource`, at));
    } else checkTargetType(node, target, at, source, ctx);
    return;
  }
  const type = parsed.type as string;
  if (!R4_RESOURCE_TYPES.has(type)) {
    ctx.findings.push(finding('reference', 'error', 'invalid', `Reference '${ref.reference}': ${type} is not a resource type`, at));
    return;
  }
  if (ref.type !== undefined && ref.type !== type) {
    ctx.findings.push(finding('reference', 'error', 'invalid', `Reference '${ref.reference}' contradicts its type '${ref.type}'`, at));
  }
  if (!checkTargetType(node, type, at, source, ctx)) return;
  const { referenceExists, storedTypes } = ctx.options;
  if (parsed.id !== undefined && referenceExists && storedTypes?.(type)) {
    ctx.pendingReferences.set(at, { type, id: parsed.id, location: at, reference: ref.reference });
  }
}

/** Asks the repository about every pending reference at once and reports those that do not exist. */
export async function resolvePendingReferences(ctx: ValidationContext): Promise<void> {
  const exists = ctx.options.referenceExists;
  if (!exists || ctx.pendingReferences.size === 0) return;
  const pending = [...ctx.pendingReferences.values()];
  const answers = await Promise.all(pending.map((p) => exists(p.type, p.id)));
  pending.forEach((p, i) => {
    if (!answers[i]) {
      ctx.findings.push(finding('reference', 'error', 'not-found', `Referenced resource ${p.type}/${p.id} does not exist`, p.location));
    }
  });
}
