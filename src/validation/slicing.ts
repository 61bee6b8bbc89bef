import type { ElementDefinitionSlicingDiscriminator, ElementDefinitionType, StructureDefinition } from 'fhir/r4';
import { baseDefinition, type Conformance } from './conformance';
import { typeCodes, type Item } from './element-items';
import { elementTree, type ElementNode } from './element-tree';
import { expectedValue, satisfies } from './fixed-pattern';
import { typeSuffix } from './issues';
import { expand, membership } from './valueset-expansion';

/**
 * Which slice each occurrence of a sliced element belongs to, by the slicing's discriminators (value, pattern,
 * exists, type; the kinds US Core and the R4 base use). A discriminator path is a restricted FHIRPath:
 * `$this`, element names, and `extension('url')`.
 */

/** Splits `extension('http://a.b/c').value` at the dots that separate steps. */
function steps(path: string): string[] {
  return path.match(/(?:[^.(]|\([^)]*\))+/g) ?? [];
}

function childValues(value: unknown, name: string): unknown[] {
  if (!value || typeof value !== 'object') return [];
  const obj = value as Record<string, unknown>;
  const ext = /^extension\('([^']*)'\)$/.exec(name);
  let v: unknown;
  if (ext) {
    const list = Array.isArray(obj.extension) ? obj.extension : [];
    return list.filter((e) => (e as { url?: string })?.url === ext[1]);
  }
  v = obj[name];
  if (v === undefined) {
    const key = Object.keys(obj).find((k) => k.startsWith(name) && /^[A-Z]/.test(k.slice(name.length)));
    v = key ? obj[key] : undefined;
  }
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Values at a discriminator path, or undefined when the path uses something not evaluated here. */
function valuesAt(value: unknown, path: string): unknown[] | undefined {
  let current = [value];
  for (const step of steps(path)) {
    if (step === '$this') continue;
    if (step.includes('(') && !step.startsWith('extension(')) return undefined;
    current = current.flatMap((v) => childValues(v, step));
  }
  return current;
}

/** The element a discriminator path names inside a slice, descending into data types and their profiles. */
function elementAt(slice: ElementNode, path: string, conformance: Conformance): ElementNode | undefined {
  let node: ElementNode | undefined = slice;
  for (const step of steps(path)) {
    if (step === '$this') continue;
    if (!node) return undefined;
    if (node.children.size === 0) {
      const t: ElementDefinitionType | undefined = node.def.type?.[0];
      const sd: StructureDefinition | undefined = t?.profile?.[0] ? conformance.structureDefinition(t.profile[0]) : t ? baseDefinition(t.code) : undefined;
      if (!sd?.snapshot) return undefined;
      node = elementTree(sd).root;
    }
    node = node.children.get(step) ?? node.children.get(`${step}[x]`);
  }
  return node;
}

function elementAtCached(slice: ElementNode, path: string, conformance: Conformance): ElementNode | undefined {
  const resolved = conformance.memo.discriminatorTargets;
  let m = resolved.get(slice);
  if (!m) resolved.set(slice, (m = new Map()));
  let hit = m.get(path);
  if (hit === undefined) {
    hit = elementAt(slice, path, conformance) ?? null;
    m.set(path, hit);
  }
  return hit ?? undefined;
}

type Code = { system?: string; code?: unknown };

/** The codes a code, Coding or CodeableConcept value carries. */
function codesOf(v: unknown): Code[] {
  if (typeof v === 'string') return [{ code: v }];
  const coding = (v as { coding?: unknown } | null)?.coding;
  if (Array.isArray(coding)) return coding as Code[];
  return v && typeof v === 'object' ? [v as Code] : [];
}

/** Values of one occurrence at each discriminator path, computed once whatever the number of slices. */
type ValuesAt = (path: string) => unknown[] | undefined;

function valuesCache(item: Item): ValuesAt {
  const memo = new Map<string, unknown[] | undefined>();
  return (path) => {
    if (!memo.has(path)) memo.set(path, valuesAt(item.value, path));
    return memo.get(path);
  };
}

function matches(item: Item, at: ValuesAt, slice: ElementNode, d: ElementDefinitionSlicingDiscriminator, conformance: Conformance): boolean {
  const target = elementAtCached(slice, d.path, conformance);
  if (!target) return false;
  if (d.type === 'type') {
    const allowed = typeCodes(target);
    if (d.path === '$this') return allowed.includes(item.type);
    const values = at(d.path) ?? [];
    return values.some((v) => allowed.includes((v as { resourceType?: string })?.resourceType ?? ''));
  }
  const values = at(d.path);
  if (values === undefined) return false;
  if (d.type === 'exists') {
    const mustExist = (target.def.min ?? 0) > 0;
    const mustNot = target.def.max === '0';
    return mustExist ? values.length > 0 : mustNot ? values.length === 0 : true;
  }
  if (d.type !== 'value' && d.type !== 'pattern') return false; // `profile` discriminators are not evaluated
  const expected = expectedValue(target.def);
  if (expected) return values.some((v) => satisfies(v, expected));
  const binding = target.def.binding;
  if (binding?.strength === 'required' && binding.valueSet) {
    const exp = expand(conformance, binding.valueSet);
    return values.some((v) => codesOf(v).some((c) => typeof c?.code === 'string' && membership(exp, c.system, c.code) === 'member'));
  }
  return false;
}

/** A type slice of a choice element (`value[x]:valueQuantity`) is matched by the JSON name's type. */
function isTypeSliceOf(item: Item, slice: ElementNode, base: ElementNode): boolean {
  const prefix = base.name.slice(0, -3);
  const types = typeCodes(slice);
  return slice.def.sliceName === prefix + typeSuffix(item.type) || (types.length === 1 && types[0] === item.type);
}

export interface SliceAssignment {
  bySlice: Map<ElementNode, Item[]>;
  unmatched: Item[];
}

export function assignSlices(items: Item[], base: ElementNode, conformance: Conformance): SliceAssignment {
  const bySlice = new Map<ElementNode, Item[]>(base.slices.map((s) => [s, []]));
  const unmatched: Item[] = [];
  const discriminators = base.def.slicing?.discriminator ?? [];
  const choice = base.name.endsWith('[x]');
  for (const item of items) {
    const at = valuesCache(item);
    const slice = base.slices.find((s) =>
      choice && discriminators.every((d) => d.type === 'type' && d.path === '$this') // also true when none
        ? isTypeSliceOf(item, s, base)
        : discriminators.length > 0 && discriminators.every((d) => matches(item, at, s, d, conformance)),
    );
    if (slice) bySlice.get(slice)!.push(item);
    else unmatched.push(item);
  }
  return { bySlice, unmatched };
}
