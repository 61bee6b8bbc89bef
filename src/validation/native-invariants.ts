import { memberPath, nodePath } from '../fhir/fhirpath-paths';
import type { ValidationContext } from './context';
import { isRealCalendarDate } from './structure';
import { isJsonObject } from '../fhir/json';

/**
 * The most frequent R4 invariants answered from the JSON directly, because fhirpath.js builds a node for every
 * element it navigates and several of these run on every resource (dom-2..6) or walk the whole resource (dom-3).
 * Each answer is the result fhirpath gives (test/validation/native-invariants.test.ts compares the two):
 * `true` passed, `false` failed, `undefined` when the JSON is not of a shape the shortcut can vouch for, and
 * fhirpath decides. Keyed by the exact R4 expression, so a definition that words a rule differently still goes
 * through fhirpath.
 */
export type NativeInvariant = (value: Record<string, unknown>, ctx: ValidationContext) => boolean | undefined;

/** fhirpath.js reads neither `x` nor `_x` when both are null or absent: `x.anything` is then empty. */
const absent = (value: Record<string, unknown>, key: string) => value[key] == null && value[`_${key}`] == null;

/**
 * The model path fhirpath.js gives `data[prop]` below a node at `parent` (util.makeChildResNodes), or undefined
 * where it does not read `data[prop]` at all: under a choice element's bare name it reads the typed variants.
 */
function childPath(parent: string | null, prop: string): string | null | undefined {
  if (parent === null) return null;
  const { path, variants } = memberPath(parent, prop);
  return variants ? undefined : nodePath(path);
}

/**
 * The string `reference` of every object fhirpath's `descendants()` reaches from `node`. Deliberately short of
 * what fhirpath reaches (no `_x` companions, no arrays in arrays): a reference found here is certainly in
 * `%resource.descendants().reference`, and one not found leaves the answer to fhirpath.
 */
function collectReferences(node: Record<string, unknown>, path: string | null, out: Set<string>): void {
  for (const prop in node) {
    const v = node[prop];
    if (typeof v !== 'object' || v === null || prop.charCodeAt(0) === 95 || prop === 'resourceType') continue;
    const child = childPath(path, prop);
    if (child === undefined) continue;
    for (const item of Array.isArray(v) ? v : [v]) {
      if (!isJsonObject(item)) continue;
      const rt = item.resourceType;
      // A resource restarts the path at its type; a resourceType that is not a usable name is left to fhirpath.
      if (rt !== undefined && (typeof rt !== 'string' || rt === '' || rt === 'reference')) continue;
      if (typeof item.reference === 'string') out.add(item.reference);
      collectReferences(item, rt ?? child, out);
    }
  }
}

/**
 * The contained resources of a DomainResource: `true` when there are none (every `contained.<...>.empty()` rule
 * holds), undefined for a shape the shortcuts leave to fhirpath (not an array, or with a `_contained` companion).
 */
function containedOf(value: Record<string, unknown>): unknown[] | true | undefined {
  if (absent(value, 'contained')) return true;
  return Array.isArray(value.contained) && value._contained === undefined ? value.contained : undefined;
}

/**
 * dom-3: every contained resource is referred to from elsewhere in the resource. Proven here when each contained
 * resource's `#id` is the `reference` of some element (the usual case); anything else is fhirpath's to decide.
 */
const dom3: NativeInvariant = (value, ctx) => {
  const contained = containedOf(value);
  if (!Array.isArray(contained)) return contained;
  const root = ctx.resource;
  if (typeof root.resourceType !== 'string' || root.resourceType === '' || '__path__' in root) return undefined;
  const refs = new Set<string>();
  collectReferences(root, root.resourceType, refs);
  for (const c of contained) {
    if (!isJsonObject(c) || typeof c.id !== 'string' || !refs.has(`#${c.id}`)) return undefined;
  }
  return true;
};

/**
 * `contained.<...>.empty()` (dom-2, dom-4, dom-5): true when nothing is contained, or when every contained resource
 * is an object with a resource type and `lacks` says that what the rule looks for is absent from it. Anything
 * else (a failure included) is left to fhirpath, which names what it found.
 */
const containedLack =
  (lacks: (resource: Record<string, unknown>) => boolean): NativeInvariant =>
  (value) => {
    const contained = containedOf(value);
    if (!Array.isArray(contained)) return contained;
    for (const c of contained) {
      if (!isJsonObject(c) || typeof c.resourceType !== 'string' || c.resourceType === '' || !lacks(c)) return undefined;
    }
    return true;
  };

/** `meta.<key>` is empty in a contained resource: no meta at all, or a meta object without the key. */
const metaLacks = (keys: string[]) => (r: Record<string, unknown>) =>
  absent(r, 'meta') || (isJsonObject(r.meta) && keys.every((k) => absent(r.meta as Record<string, unknown>, k)));

/** No `name[x]` variant at all (nor its `_` companion): fhirpath.js finds nothing for `name`. */
const noChoice = (value: Record<string, unknown>, name: string) => !Object.keys(value).some((k) => k.startsWith(name) || k.startsWith(`_${name}`));

/** An array where one element is expected (wrong JSON) is a collection to fhirpath: left to it. */
const objectsOnly =
  (fn: NativeInvariant): NativeInvariant =>
  (value, ctx) =>
    Array.isArray(value) ? undefined : fn(value, ctx);

/**
 * Date/time strings whose order as text is their order in time, for two of the same shape (length, time zone)
 * and a real calendar date. Fractions other than milliseconds are left out: fhirpath.js keeps milliseconds only.
 */
const COMPARABLE = /^[1-9]\d{3}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{3})?(Z|[+-](0\d|1[0-4]):[0-5]\d))?)?)?$/;
const zone = (s: string) => (s.length > 10 ? s.slice(19).replace(/^\.\d{3}/, '') : '');

/** per-1: a period's start is not after its end. */
const per1: NativeInvariant = (value) => {
  const { start, end } = value;
  const simple = (v: unknown) => v == null || typeof v === 'string';
  if (!simple(start) || !simple(end)) return undefined;
  if (start == null || end == null) return true; // `hasValue().not()` holds
  const s = start as string;
  const e = end as string;
  if (s.length !== e.length || zone(s) !== zone(e) || !COMPARABLE.test(s) || !COMPARABLE.test(e)) return undefined;
  if (!isRealCalendarDate(s) || !isRealCalendarDate(e)) return undefined;
  return s <= e ? true : undefined;
};

export const NATIVE: Record<string, NativeInvariant> = {
  // ext-1, on every extension.
  'extension.exists() != value.exists()': (ext) => {
    const hasExtension = Array.isArray(ext.extension) && ext.extension.length > 0;
    let hasValue = false;
    for (const k in ext) if (k.length > 5 && k.startsWith('value') && k.charCodeAt(5) < 91) hasValue = true;
    return hasExtension !== hasValue;
  },
  // ref-1, on every Reference.
  "reference.startsWith('#').not() or (reference.substring(1).trace('url') in %rootResource.contained.id.trace('ids'))": (ref, ctx) => {
    const r = ref.reference;
    // `#` alone (the container) gives fhirpath an empty result, which is not a failure.
    return typeof r !== 'string' || !r.startsWith('#') || r === '#' || ctx.containedIds.has(r.slice(1));
  },
  "contained.where((('#'+id in (%resource.descendants().reference | %resource.descendants().as(canonical) | %resource.descendants().as(uri) | %resource.descendants().as(url))) or descendants().where(reference = '#').exists() or descendants().where(as(canonical) = '#').exists() or descendants().where(as(canonical) = '#').exists()).not()).trace('unmatched', id).empty()":
    objectsOnly(dom3),
  'contained.contained.empty()': objectsOnly(containedLack((r) => absent(r, 'contained'))),
  'contained.meta.versionId.empty() and contained.meta.lastUpdated.empty()': objectsOnly(containedLack(metaLacks(['versionId', 'lastUpdated']))),
  'contained.meta.security.empty()': objectsOnly(containedLack(metaLacks(['security']))),
  // dom-6 (a warning).
  'text.`div`.exists()': objectsOnly((value) => {
    if (absent(value, 'text')) return false;
    return isJsonObject(value.text) && typeof value.text.div === 'string' ? true : undefined;
  }),
  // The rules below hold when their first operand does (`or`), which a usual resource settles from one key.
  'dataAbsentReason.empty() or value.empty()': objectsOnly((v) => (absent(v, 'dataAbsentReason') ? true : undefined)),
  'value.empty() or component.code.where(coding.intersect(%resource.code.coding).exists()).empty()': objectsOnly((v) => (absent(v, 'component') ? true : undefined)),
  // prr-1 (ServiceRequest).
  'orderDetail.empty() or code.exists()': objectsOnly((v) => (absent(v, 'orderDetail') ? true : undefined)),
  'code.empty() or system.exists()': objectsOnly((v) => (absent(v, 'code') || typeof v.system === 'string' ? true : undefined)),
  "clinicalStatus.exists() or verificationStatus.coding.where(system='http://terminology.hl7.org/CodeSystem/condition-ver-status' and code = 'entered-in-error').exists() or category.select($this='problem-list-item').empty()":
    objectsOnly((v) => (isJsonObject(v.clinicalStatus) ? true : undefined)),
  "abatement.empty() or clinicalStatus.coding.where(system='http://terminology.hl7.org/CodeSystem/condition-clinical' and (code='resolved' or code='remission' or code='inactive')).exists()":
    objectsOnly((v) => (noChoice(v, 'abatement') ? true : undefined)),
  "verificationStatus.coding.where(system='http://terminology.hl7.org/CodeSystem/condition-ver-status' and code='entered-in-error').empty() or clinicalStatus.empty()":
    objectsOnly((v) => (absent(v, 'verificationStatus') ? true : undefined)),
  '(identifier.count() + name.count()) > 0': objectsOnly((v) => (typeof v.name === 'string' ? true : undefined)),
  "where(use = 'home').empty()": objectsOnly((v) => {
    if (typeof v.use === 'string') return v.use !== 'home';
    return absent(v, 'use') ? true : undefined;
  }),
  'start.hasValue().not() or end.hasValue().not() or (start <= end)': objectsOnly(per1),
};
