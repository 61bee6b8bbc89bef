import type { Parameters, ParametersParameter, Resource } from 'fhir/r4';
import fhirpath from 'fhirpath';
import r4 from 'fhirpath/fhir-context/r4';
import { badRequest, unprocessable } from '../errors/operation-outcome-error';

/**
 * FHIRPath Patch (R4 spec 2.4.1 "FHIRPath Patch"): a Parameters resource whose `operation` parameters each name a
 * type (add, insert, delete, replace, move), a FHIRPath `path` and, depending on the type, `name`, `value`,
 * `index`, `source`, `destination`. Paths are evaluated by the `fhirpath` library; its result nodes point back
 * to their parent object and property, which is what lets us change the resource in place.
 */
interface Node {
  data: unknown;
  parentResNode: Node | null;
  propName: string | null;
  index: number | null;
  path: string | null;
  fhirNodeDataType?: string | null;
}

const repeating = r4.path2Repeating as unknown as Record<string, boolean | undefined>;

function nodes(resource: Resource, path: string): Node[] {
  try {
    return fhirpath.evaluate(resource, path, undefined, r4, { resolveInternalTypes: false }) as Node[];
  } catch (err) {
    throw badRequest(`FHIRPath Patch path "${path}" is not valid FHIRPath: ${(err as Error).message}`);
  }
}

function single(resource: Resource, path: string, what: string): Node {
  const found = nodes(resource, path);
  if (found.length !== 1) throw unprocessable(`FHIRPath Patch ${what} "${path}" matched ${found.length} elements, not 1`);
  return found[0];
}

/** A part's value: value[x] for primitives and datatypes, or nested parts for anonymous complex values. */
function partValue(part: ParametersParameter): unknown {
  for (const [k, v] of Object.entries(part)) if (k.startsWith('value')) return v;
  if (part.resource) return part.resource;
  if (part.part?.length) {
    const out: Record<string, unknown> = {};
    for (const p of part.part) {
      const v = partValue(p);
      if (out[p.name] !== undefined) out[p.name] = [...([] as unknown[]).concat(out[p.name]), v];
      else out[p.name] = v;
    }
    return out;
  }
  return undefined;
}

function container(node: Node): Record<string, unknown> {
  const parent = node.parentResNode?.data;
  if (!parent || typeof parent !== 'object' || node.propName === null) {
    throw unprocessable(`FHIRPath Patch cannot change the element at ${node.path ?? 'the root'}`);
  }
  return parent as Record<string, unknown>;
}

function removeNode(node: Node): void {
  const parent = container(node);
  const key = node.propName as string;
  const current = parent[key];
  if (Array.isArray(current) && node.index !== null) {
    current.splice(node.index, 1);
    if (current.length === 0) delete parent[key];
  } else {
    delete parent[key];
  }
}

function setNode(node: Node, value: unknown): void {
  const parent = container(node);
  const key = node.propName as string;
  const current = parent[key];
  if (Array.isArray(current) && node.index !== null) current[node.index] = value;
  else parent[key] = value;
}

/**
 * The list a path such as `Patient.identifier` names. FHIRPath evaluates it to the list's items, one node each,
 * so every node must be an item of the same list.
 */
function listAt(resource: Resource, path: string): unknown[] {
  const found = nodes(resource, path);
  if (!found.length) throw unprocessable(`FHIRPath Patch path "${path}" matched no list`);
  const parent = container(found[0]);
  const list = parent[found[0].propName as string];
  const sameList = found.every((n) => n.parentResNode?.data === parent && n.propName === found[0].propName);
  if (!Array.isArray(list) || !sameList) throw unprocessable(`FHIRPath Patch path "${path}" is not a list`);
  return list;
}

function index(part: Record<string, unknown>, name: string, max: number): number {
  const v = part[name];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
    throw unprocessable(`FHIRPath Patch ${name} must be an integer between 0 and ${max}`);
  }
  return v;
}

function apply(resource: Resource, op: Record<string, unknown>, n: number): void {
  const type = op.type;
  const path = op.path;
  if (typeof path !== 'string' || !path) throw badRequest(`FHIRPath Patch operation ${n} has no path`);
  switch (type) {
    case 'add': {
      const target = single(resource, path, 'path');
      const name = op.name;
      if (typeof name !== 'string' || !/^[A-Za-z][A-Za-z0-9]*$/.test(name)) throw badRequest(`FHIRPath Patch add needs a valid name`);
      if (!target.data || typeof target.data !== 'object') throw unprocessable(`FHIRPath Patch add target "${path}" is not an element`);
      const obj = target.data as Record<string, unknown>;
      const elementPath = `${target.path}.${name}`;
      const typePath = `${target.fhirNodeDataType ?? ''}.${name}`;
      if (Array.isArray(obj[name])) (obj[name] as unknown[]).push(op.value);
      else if (obj[name] !== undefined) throw unprocessable(`FHIRPath Patch add: ${elementPath} already has a value`);
      else obj[name] = repeating[elementPath] || repeating[typePath] ? [op.value] : op.value;
      return;
    }
    case 'insert': {
      const list = listAt(resource, path);
      list.splice(index(op, 'index', list.length), 0, op.value);
      return;
    }
    case 'delete': {
      const found = nodes(resource, path);
      if (found.length > 1) throw unprocessable(`FHIRPath Patch delete path "${path}" matched ${found.length} elements`);
      if (found.length === 1) removeNode(found[0]);
      return;
    }
    case 'replace':
      setNode(single(resource, path, 'path'), op.value);
      return;
    case 'move': {
      const list = listAt(resource, path);
      const from = index(op, 'source', list.length - 1);
      const to = index(op, 'destination', list.length - 1);
      const [item] = list.splice(from, 1);
      list.splice(to, 0, item);
      return;
    }
    default:
      throw badRequest(`FHIRPath Patch operation ${n} has unknown type "${String(type)}"`);
  }
}

export function isFhirPathPatch(body: unknown): body is Parameters {
  return typeof body === 'object' && body !== null && (body as Resource).resourceType === 'Parameters';
}

/** Applies the patch to a copy of `resource` and returns the copy. */
export function applyFhirPathPatch(resource: Resource, patch: Parameters): Resource {
  const copy = structuredClone(resource);
  const ops = (patch.parameter ?? []).filter((p) => p.name === 'operation');
  if (!ops.length) throw badRequest('The FHIRPath Patch Parameters has no operation');
  ops.forEach((p, n) => {
    const op: Record<string, unknown> = {};
    for (const part of p.part ?? []) op[part.name] = partValue(part);
    apply(copy, op, n);
  });
  return copy;
}
