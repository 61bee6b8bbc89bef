import type { StructureDefinition } from 'fhir/r4';
import { baseDefinition, CORE_SD } from './conformance';
import { firstTime, type ValidationContext } from './context';
import { childrenToVisit, itemsOf, typeCode, type Item } from './element-items';
import { elementTree, resolveContentReference, type ElementNode } from './element-tree';
import { checkExtensionContext, checkModifierUse, extensionDefinition, type Host } from './extensions';
import { expectedValue, satisfies } from './fixed-pattern';
import { checkInvariants } from './invariants';
import { finding, isPrimitiveType } from './issues';
import { checkReference } from './references';
import { assignSlices } from './slicing';
import { checkBinding } from './terminology';
import { isJsonObject } from '../fhir/json';

/**
 * Layer 2 (and the entry to layers 3-5): walks a resource along a StructureDefinition snapshot, checking each
 * element's cardinality, fixed and pattern values, allowed types and slices, and handing each occurrence to the
 * binding, invariant and reference checks. Where the snapshot does not expand an element's children, the walk
 * continues in the definition of the element's type (or of the profile the type names, e.g. an extension).
 */

const BACKBONE = new Set(['BackboneElement', 'Element']);

function checkCardinality(node: ElementNode, count: number, parentLocation: string, ctx: ValidationContext, source: string): void {
  const { min = 0, max = '*' } = node.def;
  const what = node.def.sliceName ? `${node.def.path} (slice '${node.def.sliceName}')` : node.def.path;
  if (count >= min && (max === '*' || count <= Number(max))) return;
  // The base definition and a profile often state the same rule: report it once.
  const location = elementLocation(parentLocation, node);
  if (!firstTime(ctx, `card:${what}:${min}:${max}@${location}`)) return;
  if (count < min) {
    // What the R4 definition of the element itself requires is basic FHIR validity, like the JSON structure
    // (400 on a write); a minimum only a profile adds is a profile rule (422).
    const layer = count < baseMinimum(node, source) ? 'structure' : 'profile';
    ctx.findings.push(finding(layer, 'error', 'required', `${what}: minimum required = ${min}, but only found ${count} (${source})`, location));
  }
  if (max !== '*' && count > Number(max)) {
    const text = max === '0' ? `${what} is not allowed` : `${what}: maximum allowed = ${max}, but found ${count}`;
    ctx.findings.push(finding('profile', 'error', 'structure', `${text} (${source})`, location));
  }
}

/** The element's minimum in the R4 definition it comes from (its own, when walking a core definition). */
function baseMinimum(node: ElementNode, source: string): number {
  if (node.def.sliceName) return 0;
  return node.def.base?.min ?? (source.startsWith(CORE_SD) ? (node.def.min ?? 0) : 0);
}

function elementLocation(parent: string, node: ElementNode): string {
  return `${parent}.${node.name.replace('[x]', '')}`;
}

function walkChildren(obj: Record<string, unknown>, node: ElementNode, host: Host, ctx: ValidationContext, source: string): void {
  for (const child of childrenToVisit(obj, resolveContentReference(node))) {
    const items = itemsOf(obj, child, host.location, source, ctx.findings);
    checkCardinality(child, items.length, host.location, ctx, source);
    if (child.slices.length === 0) {
      for (const item of items) visitItem(item, child, host, ctx, source);
      continue;
    }
    const { bySlice, unmatched } = assignSlices(items, child, ctx.conformance);
    for (const [slice, sliced] of bySlice) {
      checkCardinality(slice, sliced.length, host.location, ctx, source);
      for (const item of sliced) visitItem(item, slice, host, ctx, source);
    }
    for (const item of unmatched) {
      if (child.def.slicing?.rules === 'closed') {
        ctx.findings.push(
          finding('profile', 'error', 'structure', `${child.def.path}: does not match any of the slices defined (slicing is closed) (${source})`, item.location),
        );
      }
      visitItem(item, child, host, ctx, source);
    }
  }
}

/**
 * A modifier extension changes the meaning of what carries it, so one this server has no definition for must not
 * be ignored: it is an error, not a note (FHIR Extensibility, "modifierExtension").
 */
function unknownModifier(url: string, location: string, ctx: ValidationContext): void {
  if (!firstTime(ctx, `ext:${location}`)) return;
  ctx.findings.push(
    finding(
      'profile',
      'error',
      'not-supported',
      `Unknown modifier extension ${url}: it may change the meaning of the element, and this server has no definition of it, so it cannot accept it`,
      location,
    ),
  );
}

/** The definition to continue in below an element whose children the snapshot does not list. */
function definitionBelow(node: ElementNode, item: Item, value: Record<string, unknown>, host: Host, ctx: ValidationContext): StructureDefinition | undefined {
  const modifier = node.name === 'modifierExtension';
  const profile = node.def.type?.find((t) => typeCode(t) === item.type)?.profile?.[0];
  if (profile) {
    const sd = ctx.conformance.structureDefinition(profile);
    if (sd?.snapshot) {
      if (sd.type === 'Extension') checkModifierUse(sd, modifier, item.location, ctx);
      return sd;
    }
    if (modifier && item.type === 'Extension') unknownModifier(profile, item.location, ctx);
    else if (firstTime(ctx, `profile:${profile}@${item.location}`)) {
      ctx.findings.push(finding('profile', 'warning', 'not-supported', `Profile ${profile} is not available: element checked against ${item.type} only`, item.location));
    }
  } else if (item.type === 'Extension' && typeof value.url === 'string') {
    const sd = value.url.includes(':') ? extensionDefinition(ctx.conformance, value.url) : undefined;
    if (sd) {
      checkExtensionContext(sd, host, item.location, ctx);
      checkModifierUse(sd, modifier, item.location, ctx);
      return sd;
    }
    if (modifier) unknownModifier(value.url, item.location, ctx);
    else if (value.url.includes(':') && firstTime(ctx, `ext:${item.location}`)) {
      ctx.findings.push(
        finding('profile', 'information', 'informational', `Unknown extension ${value.url}: its content was checked as a plain Extension only`, item.location),
      );
    }
  }
  return baseDefinition(item.type);
}

function visitItem(item: Item, node: ElementNode, host: Host, ctx: ValidationContext, source: string): void {
  const expected = expectedValue(node.def);
  if (expected && item.value !== undefined && !satisfies(item.value, expected)) {
    ctx.findings.push(
      finding(
        'profile',
        'error',
        'value',
        `Value must ${expected.kind === 'fixed' ? 'be' : 'match'} ${JSON.stringify(expected.value)} (${expected.kind}, ${source})`,
        item.location,
      ),
    );
  }
  checkBinding(node, item, ctx, source);
  if (item.value !== undefined) checkInvariants(node, item.value, item.type, item.location, ctx, source);
  if (isPrimitiveType(item.type)) {
    if (isJsonObject(item.ext)) {
      const element = baseDefinition('Element');
      if (element) walkChildren(item.ext, elementTree(element).root, { path: node.def.path, type: item.type, location: item.location }, ctx, source);
    }
    return;
  }
  const value = item.value;
  if (!isJsonObject(value)) return; // wrong JSON type: reported by the structural layer
  if (item.type === 'Resource') {
    ctx.validateNested(value, item.location, node.def.path.endsWith('.contained'), ctx);
    return;
  }
  if (item.type === 'Reference') checkReference(node, item, ctx, source);
  const here: Host = { path: node.def.path, type: item.type, location: item.location };
  if (node.children.size > 0 || node.def.contentReference) {
    // A snapshot that expands a data type's children does not repeat the data type's own constraints (cpt-2 on
    // ContactPoint, per-1 on Period): they are still due.
    const typeSd = BACKBONE.has(item.type) ? undefined : baseDefinition(item.type);
    if (typeSd) checkInvariants(elementTree(typeSd).root, value, item.type, item.location, ctx, typeSd.url);
    walkChildren(value, node, here, ctx, source);
    return;
  }
  const sd = definitionBelow(node, item, value, host, ctx);
  if (!sd) return;
  const root = elementTree(sd).root;
  checkInvariants(root, value, item.type, item.location, ctx, sd.url);
  walkChildren(value, root, { ...here, path: root.def.path }, ctx, sd.url);
}

/** Walks `resource` (already known to be of `sd.type`) along `sd`, reporting into `ctx`. */
export function walkDefinition(sd: StructureDefinition, resource: Record<string, unknown>, location: string, ctx: ValidationContext): void {
  const root = elementTree(sd).root;
  checkInvariants(root, resource, sd.type, location, ctx, sd.url);
  walkChildren(resource, root, { path: root.def.path, type: sd.type, location }, ctx, sd.url);
}
