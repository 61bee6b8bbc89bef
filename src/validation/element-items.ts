import type { ElementDefinitionType } from 'fhir/r4';
import { type2Parent } from 'fhirpath/fhir-context/r4';
import type { ElementNode } from './element-tree';
import { choiceStep, finding, typeFromSuffix, typeSuffix, type Finding } from './issues';

/** One occurrence of an element in the instance: a value (or only its `_name` extensions) at a location. */
export interface Item {
  /** The JSON value; undefined when a primitive has only extensions (`_birthDate`). */
  value: unknown;
  /** The `_name` companion object of a primitive. */
  ext?: Record<string, unknown>;
  /** FHIR type code of this occurrence (`dateTime` for `deceasedDateTime`). */
  type: string;
  /** FHIRPath of this occurrence: `Patient.name[0]`, `Patient.deceased.ofType(dateTime)`. */
  location: string;
}

const FHIR_TYPE_EXT = 'http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type';
const KNOWN_TYPES = new Set(Object.keys(type2Parent));

/** The FHIR type of a type entry: `Resource.id`'s `System.String` is really `id` (per the fhir-type extension). */
export function typeCode(t: ElementDefinitionType): string {
  const declared = t.extension?.find((e) => e.url === FHIR_TYPE_EXT);
  return declared?.valueUrl ?? declared?.valueUri ?? t.code;
}

const typeCache = new WeakMap<ElementNode, string[]>();

export function typeCodes(node: ElementNode): string[] {
  let codes = typeCache.get(node);
  if (!codes) {
    codes = [...new Set((node.def.type ?? []).map(typeCode))];
    typeCache.set(node, codes);
  }
  return codes;
}

function collect(obj: Record<string, unknown>, key: string, node: ElementNode, type: string, location: string, out: Item[], problems: Finding[]): void {
  const value = obj[key];
  const ext = obj['_' + key];
  if (value === undefined && ext === undefined) return;
  if (!node.isArray) {
    out.push({ value, ext: ext as Record<string, unknown> | undefined, type, location });
    return;
  }
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  const exts = Array.isArray(ext) ? ext : ext === undefined ? [] : [ext];
  if (value !== undefined && ext !== undefined && values.length !== exts.length) {
    // The `_name` array pairs with the value array position by position, with nulls to fill (R4 JSON, primitives).
    problems.push(
      finding('structure', 'error', 'structure', `_${key} has ${exts.length} entries but ${key} has ${values.length}: the two arrays must be the same length`, location),
    );
  }
  const n = Math.max(values.length, exts.length);
  for (let i = 0; i < n; i++) {
    // Arrays of primitives line up with their `_name` arrays, null where one side has nothing; null on both
    // sides is an element with neither value nor extensions (ele-1).
    const v = values[i] ?? undefined;
    const e = (exts[i] ?? undefined) as Record<string, unknown> | undefined;
    if (v !== undefined || e !== undefined) out.push({ value: v, ext: e, type, location: `${location}[${i}]` });
    else problems.push(finding('structure', 'error', 'structure', 'Null with no extension at the same position (ele-1)', `${location}[${i}]`));
  }
}

/**
 * The occurrences of the element `node` in `obj`. For a choice element (`value[x]`) every `value<Type>` key is
 * looked at: a type the definition does not allow, or two types at once, is reported into `problems`.
 */
export function itemsOf(obj: Record<string, unknown>, node: ElementNode, parentLocation: string, source: string, problems: Finding[]): Item[] {
  const out: Item[] = [];
  const types = typeCodes(node);
  if (!node.name.endsWith('[x]')) {
    collect(obj, node.name, node, types[0] ?? 'BackboneElement', `${parentLocation}.${node.name}`, out, problems);
    return out;
  }
  const prefix = node.name.slice(0, -3);
  const found: string[] = [];
  for (const key of Object.keys(obj)) {
    const bare = key.startsWith('_') ? key.slice(1) : key;
    if (!bare.startsWith(prefix) || bare.length === prefix.length) continue;
    const type = typeFromSuffix(bare.slice(prefix.length));
    if (!KNOWN_TYPES.has(type) || bare !== prefix + typeSuffix(type)) continue;
    if (key !== bare && obj[bare] !== undefined) continue; // `_valueString` goes with `valueString`
    const location = `${parentLocation}.${choiceStep(prefix, type)}`;
    if (!types.includes(type)) {
      problems.push(finding('profile', 'error', 'structure', `Type ${type} is not allowed for ${node.def.path} (allowed: ${types.join(', ')}) in ${source}`, location));
      continue;
    }
    found.push(type);
    collect(obj, bare, node, type, location, out, problems);
  }
  if (found.length > 1) {
    problems.push(
      finding('structure', 'error', 'structure', `Only one of ${found.map((t) => prefix + typeSuffix(t)).join(', ')} may be present`, `${parentLocation}.${prefix}`),
    );
  }
  return out;
}

interface ChildLayout {
  /** JSON key (`name`, `_name`, `valueQuantity`, `_valueString`) -> the child element it belongs to. */
  byKey: Map<string, ElementNode>;
  /** Children that must be looked at even when absent: they, or one of their slices, have a minimum. */
  required: ElementNode[];
}

const layouts = new WeakMap<ElementNode, ChildLayout>();

function layoutOf(node: ElementNode): ChildLayout {
  let layout = layouts.get(node);
  if (layout) return layout;
  layout = { byKey: new Map(), required: [] };
  for (const child of node.children.values()) {
    const keys = child.name.endsWith('[x]') ? [...KNOWN_TYPES].map((t) => child.name.slice(0, -3) + typeSuffix(t)) : [child.name];
    for (const k of keys) {
      layout.byKey.set(k, child);
      layout.byKey.set('_' + k, child);
    }
    if ((child.def.min ?? 0) > 0 || child.slices.some((s) => (s.def.min ?? 0) > 0)) layout.required.push(child);
  }
  layouts.set(node, layout);
  return layout;
}

/**
 * The children of `node` worth visiting for `obj`: those it has a key for, and those with a minimum. Walking only
 * these keeps a validation proportional to the resource, not to the size of its definitions.
 */
export function childrenToVisit(obj: Record<string, unknown>, node: ElementNode): Set<ElementNode> {
  const layout = layoutOf(node);
  const out = new Set<ElementNode>(layout.required);
  for (const key in obj) {
    const child = layout.byKey.get(key);
    if (child) out.add(child);
  }
  return out;
}
