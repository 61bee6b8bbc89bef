import { badRequest, forbidden, issue, OperationOutcomeError } from '../errors/operation-outcome-error';
import { R4_RESOURCE_TYPES } from '../fhir/resource-types';
import { splitUnescaped } from './escape';
import { applyResultParam, SILENT_PARAMS } from './parse-result-params';
import type { SearchContext } from './context';
import type { Clause, SearchParam, SearchRequest } from './types';
import { isSupportedType, moduleFor } from './types/index';

/**
 * parse(query) -> SearchRequest. Knows nothing of MongoDB. Every parameter name is checked against the server's
 * registry (src/search/context.ts):
 * anything else (`family[$regex]`, `a.b`, `$where`) is an unknown parameter, ignored and reported by default and
 * a 400 under `Prefer: handling=strict`. Values are parsed by their parameter type, and a malformed value is
 * always a 400.
 */

const NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
const MODIFIER = /^[A-Za-z][A-Za-z0-9-]{0,63}$/;
export const MAX_CHAIN_DEPTH = 4;
/** Values one parameter may OR (a comma list); more is refused as too costly to compile. */
export const MAX_VALUES = 100;

class UnknownParameter extends Error {}

function unknown(reason: string): never {
  throw new UnknownParameter(reason);
}

function splitModifier(segment: string): { code: string; modifier?: string } {
  const i = segment.indexOf(':');
  const code = i < 0 ? segment : segment.slice(0, i);
  const modifier = i < 0 ? undefined : segment.slice(i + 1);
  if (!NAME.test(code) || (modifier !== undefined && !MODIFIER.test(modifier))) {
    unknown(`"${segment}" is not a search parameter name`);
  }
  return { code, modifier };
}

function lookup(search: SearchContext, type: string, code: string): SearchParam {
  const param = search.registry.param(type, code);
  if (!param) unknown(`${code} is not a search parameter of ${type}`);
  if (!isSupportedType(param.type) || (!param.expression && !['_id', '_lastUpdated'].includes(code))) {
    unknown(`${type}:${code} (${param.type}) is not supported by this server`);
  }
  return param;
}

function parseValues(search: SearchContext, param: SearchParam, modifier: string | undefined, raw: string): Clause {
  if (modifier === 'missing') {
    if (raw !== 'true' && raw !== 'false') throw badRequest(`${param.code}:missing must be true or false`, param.code);
    return { kind: 'missing', param, missing: raw === 'true' };
  }
  const module = moduleFor(param.type);
  const typeModifier = param.type === 'reference' && modifier !== undefined && R4_RESOURCE_TYPES.has(modifier);
  if (modifier !== undefined && !typeModifier && !module.modifiers.has(modifier)) {
    throw new OperationOutcomeError('invalid', [issue('not-supported', `Modifier :${modifier} is not supported on ${param.code} (${param.type})`, param.code)]);
  }
  const parts = splitUnescaped(raw, ',');
  if (parts.length > MAX_VALUES) throw badRequest(`${param.code} has more than ${MAX_VALUES} values`, param.code);
  const values = parts.filter((p) => p !== '').map((p) => module.parse(p, modifier, param, search));
  if (!values.length) throw badRequest(`${param.code} has no value`, param.code);
  return { kind: 'value', param, modifier, values };
}

/** `a:Type.b.c=value` — a parameter on `type`, possibly chained through reference parameters. */
function parseChain(search: SearchContext, type: string, segments: string[], raw: string, depth: number): Clause {
  const { code, modifier } = splitModifier(segments[0]);
  const param = lookup(search, type, code);
  if (segments.length === 1) return parseValues(search, param, modifier, raw);
  if (depth >= MAX_CHAIN_DEPTH) throw badRequest(`Chains are limited to ${MAX_CHAIN_DEPTH} links`, segments.join('.'));
  if (param.type !== 'reference') unknown(`${code} on ${type} is not a reference parameter and cannot be chained`);
  let targets = modifier ? [modifier] : param.target.length ? [...param.target] : [];
  if (modifier && param.target.length && !param.target.includes(modifier)) {
    throw badRequest(`${modifier} is not a target type of ${type}:${code}`, segments.join('.'));
  }
  const next = splitModifier(segments[1]).code;
  targets = targets.filter((t) => search.registry.param(t, next));
  if (!targets.length) unknown(`No target of ${type}:${code} has a search parameter ${next}`);
  const inner = targets.map((t) => ({ type: t, clause: parseChain(search, t, segments.slice(1), raw, depth + 1) }));
  return { kind: 'chain', param, inner };
}

/** `_has:Observation:patient:code=x` (nested `_has:` allowed): see spec 3.1.1.4.6.3 reverse chaining. */
function parseHas(search: SearchContext, type: string, name: string, raw: string, depth: number): Clause {
  const rest = name.slice('_has:'.length);
  const [sourceType, refCode, ...tail] = rest.split(':');
  if (!sourceType || !refCode || !tail.length) throw badRequest(`_has needs _has:Type:reference:parameter, got "${name}"`, name);
  if (!R4_RESOURCE_TYPES.has(sourceType)) throw badRequest(`${sourceType} is not a resource type (${name})`, name);
  if (depth >= MAX_CHAIN_DEPTH) throw badRequest(`_has is limited to ${MAX_CHAIN_DEPTH} levels`, name);
  const param = lookup(search, sourceType, refCode);
  if (param.type !== 'reference') throw badRequest(`${sourceType}:${refCode} is not a reference parameter`, name);
  if (param.target.length && !param.target.includes(type)) {
    throw badRequest(`${sourceType}:${refCode} cannot refer to ${type}`, name);
  }
  const innerName = tail.join(':');
  const inner = innerName.startsWith('_has:')
    ? parseHas(search, sourceType, innerName, raw, depth + 1)
    : parseChain(search, sourceType, innerName.split('.'), raw, depth + 1);
  return { kind: 'has', type: sourceType, param, inner };
}

function parseCriterion(search: SearchContext, type: string, name: string, raw: string): Clause {
  if (name.startsWith('_has:')) return parseHas(search, type, name, raw, 0);
  return parseChain(search, type, name.split('.'), raw, 0);
}

/** The same criterion parsed for every searched type; a system search only allows parameters all types share. */
function parseForTypes(search: SearchContext, types: string[], name: string, raw: string): Clause {
  const clauses = types.map((t) => parseCriterion(search, t, name, raw));
  const url = (c: Clause) => c.param.url;
  if (clauses.some((c) => url(c) !== url(clauses[0]))) unknown(`${name} is not defined the same way on ${types.join(', ')}`);
  return clauses[0];
}

function parseTypes(value: string): string[] {
  const types = value
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const bad = types.find((t) => !R4_RESOURCE_TYPES.has(t));
  if (bad !== undefined) throw badRequest(`_type has an unknown resource type "${bad}"`, '_type');
  return [...new Set(types)];
}

export interface ParseOptions {
  strict: boolean;
  /** Types a system-level search without `_type` covers. */
  systemTypes?: readonly string[];
  /**
   * May the caller search this type? A type the request names (the searched type, `_type`) that it may not is
   * refused (403) as a type-level search is; a bare system search covers only the types it may.
   */
  maySearch?: (type: string) => boolean;
}

export function parseSearch(search: SearchContext, type: string | undefined, query: Array<[string, string]>, opts: ParseOptions): SearchRequest {
  const typeParam = query.filter(([k]) => k === '_type').map(([, v]) => v);
  const types = type ? [type] : typeParam.length ? parseTypes(typeParam.join(',')) : [...(opts.systemTypes ?? [])];
  if (!types.length) throw badRequest('A system-level search needs _type', '_type');
  const named = type !== undefined || typeParam.length > 0;
  const refused = named ? types.find((t) => opts.maySearch?.(t) === false) : undefined;
  if (refused !== undefined) throw forbidden(`The access token does not allow search on ${refused}`);
  const req: SearchRequest = {
    types,
    system: type === undefined,
    clauses: [],
    sort: [],
    include: [],
    revinclude: [],
    ignored: [],
    applied: [],
  };
  const report = (name: string, reason: string) => {
    if (opts.strict) throw new OperationOutcomeError('invalid', [issue('not-supported', `${reason} (${name})`, name)]);
    req.ignored.push({ name, reason });
  };
  if (!type && typeParam.length) req.applied.push(['_type', types.join(',')]);
  for (const [name, value] of query) {
    if (name === '_type' && !type) continue;
    if (SILENT_PARAMS.has(name)) continue;
    if (applyResultParam(search.registry, req, name, value, report)) continue;
    if (value === '') {
      // Spec 3.1.1.5: a parameter with an empty value is ignored.
      req.ignored.push({ name, reason: 'empty value' });
      continue;
    }
    try {
      req.clauses.push(parseForTypes(search, types, name, value));
      req.applied.push([name, value]);
    } catch (err) {
      if (!(err instanceof UnknownParameter)) throw err;
      report(name, err.message);
    }
  }
  // Parsed against every type, so the parameters a bare system search accepts do not depend on the token.
  if (!named && opts.maySearch) req.types = req.types.filter(opts.maySearch);
  return req;
}
