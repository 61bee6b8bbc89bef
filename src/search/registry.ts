import type { SearchParameter } from 'fhir/r4';
import { R4_RESOURCE_TYPES } from '../fhir/resource-types';
import { bundledSearchParameters } from './definitions';
import type { SkippedSearchParameter } from './diagnostics';
import { type CompiledExpression, compileExpression, expressionForType } from './expression';
import type { ParamType, SearchParam } from './types';

/**
 * The registry of search parameters keyed by (resource type, code), built from definitions (src/search/
 * definitions.ts). Per-type maps are built on first use, and each FHIRPath expression is compiled on first use,
 * so start-up does not pay for 146 types x dozens of parameters.
 */

const PARAM_TYPES: ReadonlySet<string> = new Set([
  'string', 'token', 'date', 'reference', 'quantity', 'number', 'uri', 'composite', 'special',
]);

let definitions: SearchParameter[] | undefined;
let skipped: SkippedSearchParameter[] = [];
let byUrl = new Map<string, SearchParameter>();
let byType = new Map<string, Map<string, SearchParam>>();
let extraDirs: readonly string[] = [];

function loadDefinitions(): SearchParameter[] {
  if (!definitions) {
    skipped = [];
    definitions = bundledSearchParameters(extraDirs, skipped).filter((d) => PARAM_TYPES.has(d.type));
    byUrl = new Map();
    for (const d of definitions) if (!byUrl.has(d.url)) byUrl.set(d.url, d);
  }
  return definitions;
}

/** Reloads definitions including SearchParameters found under `dirs` (the server's configured profile folders). */
export function configureSearchParameterSources(dirs: readonly string[]): void {
  extraDirs = dirs;
  definitions = undefined;
  byType = new Map();
}

/** The profile-folder definitions the current load left out, with why (loads the definitions if not yet done). */
export function skippedSearchParameters(): readonly SkippedSearchParameter[] {
  loadDefinitions();
  return skipped;
}

function appliesTo(def: SearchParameter, type: string): boolean {
  return def.base.some((b) => b === type || b === 'Resource' || (b === 'DomainResource' && type !== 'Bundle' && type !== 'Binary' && type !== 'Parameters'));
}

function toParam(def: SearchParameter, type: string): SearchParam | undefined {
  const expression = def.expression ? expressionForType(def.expression, type) : undefined;
  // A definition with an expression that has no branch for this type does not apply to it (a generic base).
  if (def.expression && !expression) return undefined;
  const param: SearchParam = {
    code: def.code,
    type: def.type as ParamType,
    url: def.url,
    resourceType: type,
    description: def.description,
    expression,
    target: def.target ?? [],
  };
  if (def.type === 'composite') {
    const components: Array<{ param: SearchParam; expression: string }> = [];
    for (const c of def.component ?? []) {
      const cdef = byUrl.get(c.definition);
      if (!cdef || cdef.type === 'composite' || !c.expression) return undefined;
      components.push({
        param: { code: cdef.code, type: cdef.type as ParamType, url: cdef.url, resourceType: type, target: cdef.target ?? [] },
        expression: c.expression,
      });
    }
    if (components.length < 2) return undefined;
    param.components = components;
  }
  return param;
}

function paramsMap(type: string): Map<string, SearchParam> {
  let map = byType.get(type);
  if (!map) {
    map = new Map();
    if (R4_RESOURCE_TYPES.has(type)) {
      for (const def of loadDefinitions()) {
        if (map.has(def.code) || !appliesTo(def, type)) continue;
        const p = toParam(def, type);
        if (p) map.set(p.code, p);
      }
    }
    byType.set(type, map);
  }
  return map;
}

export function getSearchParam(type: string, code: string): SearchParam | undefined {
  return paramsMap(type).get(code);
}

export function getSearchParams(type: string): SearchParam[] {
  return [...paramsMap(type).values()];
}

/** The parameter's compiled expression (compiled once, on first use). */
export function evaluatorFor(param: SearchParam) {
  if (!param.evaluate && param.expression) param.evaluate = compileExpression(param.expression);
  return param.evaluate;
}

const componentCache = new Map<string, CompiledExpression>();

/** A composite component's expression, evaluated relative to a node at `basePath` (typed by the R4 model). */
export function componentEvaluator(param: SearchParam, index: number, basePath: string | undefined): CompiledExpression {
  const expression = param.components![index].expression;
  const key = `${basePath ?? ''}\u0000${expression}`;
  let fn = componentCache.get(key);
  if (!fn) {
    fn = compileExpression(expression, basePath && basePath.includes('.') ? basePath : undefined);
    componentCache.set(key, fn);
  }
  return fn;
}
