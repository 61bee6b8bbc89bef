import fhirpath from 'fhirpath';
import r4Model, { path2Type, pathsDefinedElsewhere, type2Parent } from 'fhirpath/fhir-context/r4';
import { memberPath, nodePath } from '../fhir/fhirpath-paths';
import type { FhirNode } from './expression';

/**
 * Search expressions that are paths with type filters and reference-target tests (`(Observation.value as
 * Quantity)`, `Observation.subject.where(resolve() is Patient)`, a composite's `value.ofType(Quantity)`) are
 * walked on the JSON here, mirroring fhirpath.js step by step (util.makeChildResNodes: model paths, choice
 * elements, types) so that the nodes are the ones it returns, at a fraction of the cost. Wherever fhirpath.js
 * would do something this walk does not mirror (a `_x` companion, a null in an array, a decimal, a union that
 * could drop a duplicate), the evaluation gives up and the caller runs fhirpath.js instead.
 */

const types = path2Type as Record<string, string | undefined>;
const elsewhere = pathsDefinedElsewhere as Record<string, string | undefined>;
const parents = type2Parent as Record<string, string | undefined>;
const known = (r4Model as unknown as { availableTypes: Set<string> }).availableTypes;

const REFERENCE_TYPE = /(?:^|\/)([A-Z][A-Za-z]{1,63})\/[A-Za-z0-9.-]{1,64}(?:\/_history\/[A-Za-z0-9.-]{1,64})?$/;

/** The resource type a reference string points to, when its form says so (relative or absolute REST URL). */
export function referenceTargetType(reference: string): string | undefined {
  return REFERENCE_TYPE.exec(reference)?.[1];
}

/** What `resolve()` yields a type for, without fetching: Reference.type, else the reference text's form. */
export function resolvedType(input: unknown): string | undefined {
  const ref = input as { reference?: unknown; type?: unknown } | undefined;
  if (typeof ref?.type === 'string') return ref.type || undefined;
  return typeof ref?.reference === 'string' ? referenceTargetType(ref.reference) : undefined;
}

type Step = { kind: 'member' | 'ofType' | 'resolvesTo'; name: string };
interface Branch {
  head: string;
  steps: Step[];
}

interface Node {
  value: unknown;
  type: string | undefined;
  path: string;
  element?: string;
}

/**
 * FhirNode.element of member `name` of a node at model path `parent`: the element's model path, as its
 * StructureDefinition names it; undefined for a choice element (its typed variants have no binding of their own).
 */
export function codeElement(parent: string, name: string): string | undefined {
  const child = memberPath(parent, name);
  return child.variants ? undefined : child.path;
}

const GIVE_UP = Symbol('give up');

const IDENTIFIER = /^[A-Za-z][A-Za-z0-9]*$/;
const OF_TYPE = /^ofType\(([A-Za-z]+)\)$/;
const RESOLVES_TO = /^where\(resolve\(\)\.resourceType = '([A-Za-z]+)'\)$/;

/** Splits on `.` outside parentheses and quotes. */
function splitSteps(text: string): string[] | undefined {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === "'") i = text.indexOf("'", i + 1);
    else if (ch === '.' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
    if (i < 0 || depth < 0) return undefined;
  }
  parts.push(text.slice(start));
  return depth === 0 ? parts : undefined;
}

function parseBranch(text: string): Branch | undefined {
  const parts = splitSteps(text.trim());
  if (!parts?.length) return undefined;
  let head: string;
  const steps: Step[] = [];
  // `(a.b).c` is `a.b.c`: parentheses around a path change nothing.
  if (parts[0].startsWith('(') && parts[0].endsWith(')')) {
    const inner = parseBranch(parts[0].slice(1, -1));
    if (!inner) return undefined;
    head = inner.head;
    steps.push(...inner.steps);
  } else if (IDENTIFIER.test(parts[0])) head = parts[0];
  else return undefined;
  for (const part of parts.slice(1)) {
    const ofType = OF_TYPE.exec(part)?.[1];
    const resolvesTo = RESOLVES_TO.exec(part)?.[1];
    if (IDENTIFIER.test(part)) steps.push({ kind: 'member', name: part });
    else if (ofType) steps.push({ kind: 'ofType', name: ofType });
    else if (resolvesTo) steps.push({ kind: 'resolvesTo', name: resolvesTo });
    else return undefined;
  }
  return { head, steps };
}

/** `type` and the types it derives from (`Patient`, `DomainResource`, `Resource`). */
export function ancestors(type: string): string[] {
  const out: string[] = [];
  for (let t: string | undefined = type; t; t = parents[t]) out.push(t);
  return out;
}

/**
 * fhirpath.js's answers by `type|wanted`, filled as expressions are evaluated. A memo of a function of the R4 model
 * shipped with fhirpath.js alone, so the servers of a process share it and none can change another's answer; it
 * holds at most the model's types times the type names the loaded expressions filter on.
 */
const typeMatches = new Map<string, boolean | typeof GIVE_UP>();

/** Does fhirpath.js let a node of FHIR type `type` through `ofType(wanted)`? Asked of fhirpath.js itself, once. */
function matchesType(type: string | undefined, wanted: string): boolean {
  if (type === undefined || !known.has(type)) throw GIVE_UP;
  const key = `${type}|${wanted}`;
  let answer = typeMatches.get(key);
  if (answer === undefined) {
    try {
      const fn = fhirpath.compile({ base: type, expression: `ofType(${wanted})` }, r4Model, { resolveInternalTypes: false });
      answer = (fn({}) as unknown[]).length > 0;
    } catch {
      answer = GIVE_UP;
    }
    typeMatches.set(key, answer);
  }
  if (answer === GIVE_UP) throw GIVE_UP;
  return answer;
}

/**
 * A node for `data` reached at model path `path` (a resource restarts path and type at its resourceType);
 * `element` is the path again unless the member was a choice.
 */
function node(data: unknown, path: string, element: string | undefined, out: Node[]): void {
  if (data === null || typeof data === 'number' || typeof data === 'function' || Array.isArray(data)) throw GIVE_UP;
  const rt = (data as { resourceType?: unknown } | undefined)?.resourceType;
  if (rt) {
    if (typeof rt !== 'string') throw GIVE_UP;
    out.push({ value: data, type: rt, path: rt });
    return;
  }
  const type = types[path];
  out.push({ value: data, type, path: nodePath(path), element: type === 'code' ? element : undefined });
}

/** The JSON keys member `name` of a node may be under: its typed variants for a choice element, else the name. */
interface MemberKeys {
  choice: boolean;
  /** `key`, its primitive companion `_key`, and the model path of a value found under it. */
  keys: Array<{ key: string; companion: string; path: string }>;
}

/**
 * MemberKeys by parent path, then member name: computed once, since a walk asks the same few members of the same
 * paths for every resource and building their keys and paths anew (string concatenation, then hashing the new
 * strings for the model lookups) was most of its cost. Only model paths and type names are kept (a contained
 * resource's resourceType is the client's text), so it is bounded by the model times the names expressions use.
 */
const memberKeys = new Map<string, Map<string, MemberKeys>>();

function computeKeys(parent: string, name: string): MemberKeys {
  const child = memberPath(parent, name);
  return child.variants
    ? { choice: true, keys: child.variants.map((v) => ({ key: name + v, companion: `_${name}${v}`, path: child.path + v })) }
    : { choice: false, keys: [{ key: name, companion: `_${name}`, path: child.path }] };
}

function keysOf(parent: string, name: string): MemberKeys {
  if (!known.has(parent) && types[parent] === undefined) return computeKeys(parent, name);
  let byName = memberKeys.get(parent);
  if (!byName) memberKeys.set(parent, (byName = new Map()));
  let found = byName.get(name);
  if (!found) byName.set(name, (found = computeKeys(parent, name)));
  return found;
}

function member(n: Node, name: string, out: Node[]): void {
  const data = n.value;
  if (typeof data !== 'object' || data === null) {
    if ((data as Record<string, unknown>)?.[name] !== undefined) throw GIVE_UP;
    return;
  }
  const obj = data as Record<string, unknown>;
  const member = keysOf(n.path, name);
  const found = member.choice ? member.keys.find((k) => obj[k.key] !== undefined || obj[k.companion] !== undefined) : member.keys[0];
  if (found === undefined) return;
  if (obj[found.companion] !== undefined) throw GIVE_UP;
  const value = obj[found.key];
  if (value === undefined || value === null) return;
  const element = member.choice ? undefined : found.path;
  if (Array.isArray(value)) for (const item of value) node(item, found.path, element, out);
  else node(value, found.path, element, out);
}

function step(level: Node[], s: Step): Node[] {
  const out: Node[] = [];
  for (const n of level) {
    if (s.kind === 'member') member(n, s.name, out);
    else if (s.kind === 'ofType' ? matchesType(n.type, s.name) : resolvedType(n.value) === s.name) out.push(n);
  }
  return out;
}

/**
 * The node fhirpath.js starts from: the resource, or (with a compile base) an element of the type or backbone
 * path `base` — worked out as fhirpath.js's compile does; undefined where its base handling is not mirrored.
 */
function baseRoot(base: string): { type: string | undefined; path: string } | undefined {
  if (/\[/.test(base) || Object.keys(elsewhere).some((p) => base.startsWith(p))) return undefined;
  const type = known.has(base) ? base : types[base];
  return { type, path: type === 'BackboneElement' || type === 'Element' ? base : type || base };
}

function rootOf(input: unknown, base: { type: string | undefined; path: string } | undefined): Node {
  const rt = (input as { resourceType?: unknown }).resourceType;
  if (base) {
    if (rt) throw GIVE_UP;
    return { value: input, ...base };
  }
  if (typeof rt !== 'string' || !rt || '__path__' in (input as object)) throw GIVE_UP;
  return { value: input, type: rt, path: rt };
}

/** The first name of a branch: the start node itself when it is the resource's type, else a member. */
function start(root: Node, head: string): Node[] {
  if ((root.value as { resourceType?: unknown }).resourceType === head) return [root];
  // A type name of the node (`Resource`) would select the node itself: not mirrored here.
  if (root.type === undefined || ancestors(root.type).includes(head)) throw GIVE_UP;
  const out: Node[] = [];
  member(root, head, out);
  return out;
}

export type NativeEvaluator = (input: unknown) => FhirNode[] | undefined;

/**
 * An evaluator for the branches of a union (already rewritten for fhirpath.js: `ofType`, `resolve().resourceType`),
 * or undefined when they are not of the supported form. The evaluator answers undefined where fhirpath.js must decide.
 */
export function compileNativePath(union: string[], base?: string): NativeEvaluator | undefined {
  const branches = union.map(parseBranch);
  const baseNode = base === undefined ? undefined : baseRoot(base);
  if (!branches.length || branches.some((b) => !b) || (base !== undefined && !baseNode)) return undefined;
  return (input: unknown) => {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
    try {
      const root = rootOf(input, baseNode);
      const out: FhirNode[] = [];
      for (const b of branches as Branch[]) {
        let level = start(root, b.head);
        for (const s of b.steps) level = step(level, s);
        for (const n of level) out.push({ type: n.type, value: n.value, path: n.path, element: n.element });
      }
      // A union drops items equal by FHIRPath's rules (1 g = 1000 mg): only fhirpath.js can say which.
      return branches.length > 1 && out.length > 1 ? undefined : out;
    } catch (err) {
      if (err === GIVE_UP) return undefined;
      throw err;
    }
  };
}
