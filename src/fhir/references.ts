import type { Resource } from 'fhir/r4';

/** Visits every JSON object in a resource (elements, extensions, contained resources); iterative, so hostile
 * nesting cannot overflow the stack. */
function eachObject(root: unknown, visit: (obj: Record<string, unknown>) => void): void {
  const stack: unknown[] = [root];
  while (stack.length) {
    const node = stack.pop();
    if (!node || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      for (const v of node) stack.push(v);
      continue;
    }
    visit(node as Record<string, unknown>);
    for (const v of Object.values(node)) if (v && typeof v === 'object') stack.push(v);
  }
}

/**
 * Rewrites, in place, every `reference` whose value is a key of `map` (a bundle fullUrl such as `urn:uuid:...`,
 * or a conditional reference `Patient?identifier=...`) to the value (`Patient/123`). Narrative (`text.div`) links
 * to those fullUrls are rewritten too.
 */
export function rewriteReferences(resource: Resource, map: ReadonlyMap<string, string>): void {
  if (map.size === 0) return;
  eachObject(resource, (obj) => {
    if (typeof obj.reference === 'string') {
      const target = map.get(obj.reference);
      if (target !== undefined) obj.reference = target;
    }
    if (typeof obj.div === 'string' && obj.div.includes('urn:')) {
      let div = obj.div;
      for (const [from, to] of map) if (div.includes(from)) div = div.split(from).join(to);
      obj.div = div;
    }
  });
}

/** Every literal reference value in a resource. */
export function collectReferences(resource: Resource): string[] {
  const out: string[] = [];
  eachObject(resource, (obj) => {
    if (typeof obj.reference === 'string') out.push(obj.reference);
  });
  return out;
}

/**
 * References to this server by absolute URL (`http://host/fhir/Patient/1`) become relative (`Patient/1`), so
 * they are validated, indexed and followed like any local reference, and survive a change of public host name.
 */
export function relativizeReferences(resource: Resource, baseUrl: string): void {
  const prefix = `${baseUrl}/`;
  eachObject(resource, (obj) => {
    if (typeof obj.reference === 'string' && obj.reference.startsWith(prefix)) obj.reference = obj.reference.slice(prefix.length);
  });
}
