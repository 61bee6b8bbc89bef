import type { ElementDefinition, StructureDefinition } from 'fhir/r4';

/**
 * A StructureDefinition snapshot as a tree: each element knows its children by name and, when sliced, its slices.
 * Built once per definition (cached on the definition object) so a validation is a walk, never a search through
 * the flat element list.
 */
export interface ElementNode {
  def: ElementDefinition;
  /** Last path segment: `given`, `value[x]`. */
  name: string;
  children: Map<string, ElementNode>;
  /** The slices defined on this element (when `def.slicing` is set). */
  slices: ElementNode[];
  /** Whether the element is an array in JSON: decided by the base definition, not by the profile's max. */
  isArray: boolean;
  tree: ElementTree;
}

export interface ElementTree {
  sd: StructureDefinition;
  root: ElementNode;
  byId: Map<string, ElementNode>;
}

const cache = new WeakMap<StructureDefinition, ElementTree>();

function elementId(el: ElementDefinition): string {
  if (el.id) return el.id;
  return el.sliceName ? `${el.path}:${el.sliceName}` : el.path;
}

/** `extension:race` -> name `extension`, slice `race`; `value[x]` -> name `value[x]`. */
function splitSegment(segment: string): { name: string; slice?: string } {
  const colon = segment.indexOf(':');
  return colon < 0 ? { name: segment } : { name: segment.slice(0, colon), slice: segment.slice(colon + 1) };
}

function isArrayElement(el: ElementDefinition): boolean {
  const max = el.base?.max ?? el.max;
  return max !== '1' && max !== '0';
}

export function elementTree(sd: StructureDefinition): ElementTree {
  const cached = cache.get(sd);
  if (cached) return cached;
  const elements = sd.snapshot?.element ?? [];
  if (elements.length === 0) throw new Error(`StructureDefinition ${sd.url} has no snapshot`);
  const byId = new Map<string, ElementNode>();
  const tree = { sd, byId } as ElementTree;
  for (const def of elements) {
    const id = elementId(def);
    const dot = id.lastIndexOf('.');
    const parentId = dot < 0 ? undefined : id.slice(0, dot);
    const { name, slice } = splitSegment(dot < 0 ? id : id.slice(dot + 1));
    const node: ElementNode = {
      def,
      name,
      children: new Map(),
      slices: [],
      isArray: parentId !== undefined && isArrayElement(def),
      tree,
    };
    byId.set(id, node);
    if (parentId === undefined) {
      tree.root = node;
      continue;
    }
    const parent = byId.get(parentId);
    if (!parent) throw new Error(`StructureDefinition ${sd.url}: element ${id} comes before its parent`);
    if (slice === undefined) {
      parent.children.set(name, node);
      continue;
    }
    // A re-slice `a:s1/s2` is a slice of `a:s1`; a slice `a:s1` is a slice of `a`.
    const slash = slice.lastIndexOf('/');
    const baseId = `${parentId}.${name}${slash < 0 ? '' : ':' + slice.slice(0, slash)}`;
    const base = byId.get(baseId);
    if (!base) throw new Error(`StructureDefinition ${sd.url}: slice ${id} has no base element ${baseId}`);
    base.slices.push(node);
  }
  if (!tree.root) throw new Error(`StructureDefinition ${sd.url} has no root element`);
  cache.set(sd, tree);
  return tree;
}

/** Resolves `contentReference` (`#Questionnaire.item`): the element whose children this one repeats. */
export function resolveContentReference(node: ElementNode): ElementNode {
  const ref = node.def.contentReference;
  if (!ref) return node;
  const target = node.tree.byId.get(ref.slice(ref.indexOf('#') + 1));
  return target ?? node;
}
