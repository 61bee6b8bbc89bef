import type { CodeSystem, CodeSystemConcept, ValueSet, ValueSetComposeInclude } from 'fhir/r4';
import { stripVersion, type Conformance } from './conformance';

/**
 * What can be known locally about a ValueSet's content. `codes` holds every code enumerated from bundled
 * CodeSystems and explicit concept lists; `partialSystems` are systems the ValueSet draws from but which could
 * not be enumerated here (SNOMED CT, LOINC, a filter we do not evaluate): a code of one of those systems that is
 * not in `codes` is "not checked", never "not a member". `opaque` explains why nothing at all can be said.
 */
export interface Expansion {
  codes: Map<string, Set<string>>;
  partialSystems: Set<string>;
  opaque?: string;
}

export type Membership = 'member' | 'not-member' | 'unknown';

function add(exp: Expansion, system: string, code: string): void {
  let set = exp.codes.get(system);
  if (!set) exp.codes.set(system, (set = new Set()));
  set.add(code);
}

function flatten(concepts: CodeSystemConcept[] | undefined, out: CodeSystemConcept[] = []): CodeSystemConcept[] {
  for (const c of concepts ?? []) {
    out.push(c);
    flatten(c.concept, out);
  }
  return out;
}

/** A concept and everything below it in the CodeSystem's nesting. */
function findSubtree(concepts: CodeSystemConcept[] | undefined, code: string): CodeSystemConcept | undefined {
  for (const c of concepts ?? []) {
    if (c.code === code) return c;
    const inner = findSubtree(c.concept, code);
    if (inner) return inner;
  }
  return undefined;
}

/** Codes of `cs` selected by the include's filters, or undefined when a filter is not one we can evaluate. */
function filtered(cs: CodeSystem, include: ValueSetComposeInclude): string[] | undefined {
  let result: Set<string> | undefined;
  for (const f of include.filter ?? []) {
    let codes: string[];
    const root = findSubtree(cs.concept, f.value);
    if (f.property === 'concept' && (f.op === 'is-a' || f.op === 'descendent-of') && root) {
      codes = flatten(root.concept).map((c) => c.code);
      if (f.op === 'is-a') codes.push(root.code);
    } else if (f.property === 'concept' && f.op === 'is-not-a' && root) {
      const below = new Set([root.code, ...flatten(root.concept).map((c) => c.code)]);
      codes = flatten(cs.concept)
        .map((c) => c.code)
        .filter((c) => !below.has(c));
    } else if (f.property === 'concept' && f.op === '=' && root) {
      codes = [root.code];
    } else {
      return undefined;
    }
    result = result ? new Set(codes.filter((c) => result!.has(c))) : new Set(codes);
  }
  return result ? [...result] : undefined;
}

/** The codes an include (or exclude) names, or a reason it cannot be enumerated. */
function includeCodes(conformance: Conformance, include: ValueSetComposeInclude, depth: number): Expansion {
  const part: Expansion = { codes: new Map(), partialSystems: new Set() };
  if (include.valueSet?.length) {
    if (include.system) return { ...part, opaque: 'combines a system with other ValueSets' };
    for (const url of include.valueSet) {
      const inner = expandAt(conformance, url, depth + 1);
      if (inner.opaque) return inner;
      for (const [s, codes] of inner.codes) for (const c of codes) add(part, s, c);
      for (const s of inner.partialSystems) part.partialSystems.add(s);
    }
    return part;
  }
  const system = include.system;
  if (!system) return { ...part, opaque: 'has an include with neither system nor ValueSet' };
  if (include.concept?.length) {
    for (const c of include.concept) add(part, system, c.code);
    return part;
  }
  const cs = conformance.codeSystem(system);
  if (!cs || cs.content !== 'complete') {
    part.partialSystems.add(system);
    return part;
  }
  const codes = include.filter?.length ? filtered(cs, include) : flatten(cs.concept).map((c) => c.code);
  if (!codes) part.partialSystems.add(system);
  else for (const c of codes) add(part, system, c);
  return part;
}

function expandAt(conformance: Conformance, url: string, depth: number): Expansion {
  const cache = conformance.memo.expansions;
  const hit = cache.get(url);
  if (hit) return hit;
  const key = stripVersion(url);
  const vs: ValueSet | undefined = conformance.valueSet(key);
  let exp: Expansion = { codes: new Map(), partialSystems: new Set() };
  if (!vs) exp.opaque = `ValueSet ${key} is not available locally`;
  else if (depth > 10) exp.opaque = `ValueSet ${key} nests too deeply`;
  else if (vs.expansion?.contains && !vs.compose) {
    for (const c of vs.expansion.contains) if (c.system && c.code) add(exp, c.system, c.code);
  } else {
    for (const inc of vs.compose?.include ?? []) {
      const part = includeCodes(conformance, inc, depth);
      if (part.opaque) {
        exp = { ...exp, opaque: part.opaque.startsWith('ValueSet ') ? part.opaque : `ValueSet ${key} ${part.opaque}` };
        break;
      }
      for (const [s, codes] of part.codes) for (const c of codes) add(exp, s, c);
      for (const s of part.partialSystems) exp.partialSystems.add(s);
    }
    for (const exc of vs.compose?.exclude ?? []) {
      if (exp.opaque) break;
      const part = includeCodes(conformance, exc, depth);
      // An exclusion we cannot enumerate makes membership in that system unknowable either way.
      for (const s of part.partialSystems) {
        exp.partialSystems.add(s);
        exp.codes.delete(s);
      }
      if (part.opaque) exp.opaque = part.opaque.startsWith('ValueSet ') ? part.opaque : `ValueSet ${key} ${part.opaque}`;
      for (const [s, codes] of part.codes) for (const c of codes) exp.codes.get(s)?.delete(c);
    }
  }
  cache.set(url, exp);
  return exp;
}

/** What `conformance` lets us know of the ValueSet `url`, worked out once per Conformance. */
export function expand(conformance: Conformance, url: string): Expansion {
  return expandAt(conformance, url, 0);
}

/**
 * Is the code (with its system, when known) in the expansion? A code without a system (a bare `code` element)
 * matches any system; a Coding without one is never looked up here (see checkBinding).
 */
export function membership(exp: Expansion, system: string | undefined, code: string): Membership {
  if (exp.opaque) return 'unknown';
  if (system === undefined) {
    for (const codes of exp.codes.values()) if (codes.has(code)) return 'member';
    return exp.partialSystems.size > 0 ? 'unknown' : 'not-member';
  }
  if (exp.codes.get(system)?.has(code)) return 'member';
  return exp.partialSystems.has(system) ? 'unknown' : 'not-member';
}
