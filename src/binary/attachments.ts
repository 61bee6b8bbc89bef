import type { Attachment, Resource, StructureDefinition } from 'fhir/r4';
import { isJsonObject } from '../fhir/json';
import { r4Resources } from '../fhir/r4-definitions';
import { lazy } from '../util/lazy';

/** What a JSON member holds, by its element definition: an Attachment, and/or elements to walk into. */
interface Member {
  attachment: boolean;
  /** The definition path its children are defined under (a backbone element's, a datatype's), or any resource. */
  next?: string | typeof ANY_RESOURCE;
}

const ANY_RESOURCE = Symbol('resource');

/**
 * Every element of every R4 resource and complex datatype, as JSON member names under their parent's definition
 * path, read from the StructureDefinitions once: choice elements by each typed name (`valueAttachment`), content
 * references followed (`Questionnaire.item.item`), `Resource`-typed elements (contained, Bundle entries) by the
 * resource's own type. Nothing here names DocumentReference or Media: an Attachment is found wherever R4 allows one,
 * extensions (`valueAttachment`) included.
 */
const members = lazy(() => {
  const byParent = new Map<string, Map<string, Member>>();
  const definitions = r4Resources('profiles-types.json', 'profiles-resources.json') as Iterable<StructureDefinition | undefined>;
  for (const sd of definitions) {
    if (sd?.resourceType !== 'StructureDefinition' || sd.derivation === 'constraint' || !sd.snapshot) continue;
    if (sd.kind !== 'resource' && sd.kind !== 'complex-type') continue;
    for (const el of sd.snapshot.element) {
      const at = el.path.lastIndexOf('.');
      if (at < 0) continue;
      const parent = el.path.slice(0, at);
      const name = el.path.slice(at + 1);
      const children = byParent.get(parent) ?? new Map<string, Member>();
      byParent.set(parent, children);
      if (el.contentReference) {
        children.set(name, { attachment: false, next: el.contentReference.replace(/^.*#/, '') });
        continue;
      }
      for (const { code } of el.type ?? []) {
        const json = name.endsWith('[x]') ? name.slice(0, -3) + code[0].toUpperCase() + code.slice(1) : name;
        if (code === 'Attachment') children.set(json, { attachment: true });
        else if (code === 'Resource') children.set(json, { attachment: false, next: ANY_RESOURCE });
        else if (code === 'BackboneElement' || code === 'Element') children.set(json, { attachment: false, next: el.path });
        else if (/^[A-Z]/.test(code)) children.set(json, { attachment: false, next: code });
      }
    }
  }
  return byParent;
});

/**
 * The Attachments of `resource`, wherever R4 allows one (contained resources and extensions included), in document
 * order. They are the resource's own objects: a caller may change them in place. Runs on every write, so a plain
 * recursion into an array rather than generators (about a fifth of the cost).
 */
export function attachmentsOf(resource: Resource): Attachment[] {
  const found: Attachment[] = [];
  walk(resource as unknown as Record<string, unknown>, resource.resourceType, members(), found);
  return found;
}

function walk(node: Record<string, unknown>, path: string, byParent: Map<string, Map<string, Member>>, found: Attachment[]): void {
  const children = byParent.get(path);
  if (!children) return;
  for (const key in node) {
    const value = node[key];
    if (typeof value !== 'object' || value === null) continue;
    const member = children.get(key);
    if (!member) continue;
    if (Array.isArray(value)) {
      for (const item of value) visit(item, member, byParent, found);
    } else visit(value, member, byParent, found);
  }
}

function visit(item: unknown, member: Member, byParent: Map<string, Map<string, Member>>, found: Attachment[]): void {
  if (!isJsonObject(item)) return;
  if (member.attachment) found.push(item as Attachment);
  const next = member.next === ANY_RESOURCE ? item.resourceType : member.next;
  if (typeof next === 'string') walk(item, next, byParent, found);
}
