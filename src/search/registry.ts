import type { SearchParameter } from 'fhir/r4';
import { R4_RESOURCE_TYPES } from '../fhir/resource-types';
import { lazy } from '../util/lazy';
import { bundledSearchParameters } from './definitions';
import type { SkippedSearchParameter } from './diagnostics';
import { type CompiledExpression, compileExpression, expressionForType } from './expression';
import type { ParamType, SearchParam } from './types';

/**
 * One server's search parameters keyed by (resource type, code), built from definitions (src/search/
 * definitions.ts): R4's, US Core's and those in its profile folders. Definitions are read on first use, per-type
 * maps are built on first use, and each FHIRPath expression is compiled on first use, so start-up does not pay for
 * 146 types x dozens of parameters. Each server has its own (src/search/context.ts): what one server's profile
 * folders define is not another's.
 */

const PARAM_TYPES: ReadonlySet<string> = new Set(['string', 'token', 'date', 'reference', 'quantity', 'number', 'uri', 'composite', 'special']);

interface Definitions {
  all: readonly SearchParameter[];
  byUrl: ReadonlyMap<string, SearchParameter>;
  /** The profile-folder definitions left out, with why. */
  skipped: readonly SkippedSearchParameter[];
}

function appliesTo(def: SearchParameter, type: string): boolean {
  return def.base.some((b) => b === type || b === 'Resource' || (b === 'DomainResource' && type !== 'Bundle' && type !== 'Binary' && type !== 'Parameters'));
}

export class SearchRegistry {
  private readonly definitions: () => Definitions;
  /** Per-type parameters, filled as types are asked for. */
  private readonly byType = new Map<string, ReadonlyMap<string, SearchParam>>();
  /** Composite components' compiled expressions by (base path, expression), filled as composites are indexed. */
  private readonly components = new Map<string, CompiledExpression>();

  /** `profilesDirs`: folders with SearchParameter resources beyond the project's profiles/. */
  constructor(profilesDirs: readonly string[] = []) {
    this.definitions = lazy(() => {
      const skipped: SkippedSearchParameter[] = [];
      const all = bundledSearchParameters(profilesDirs, skipped).filter((d) => PARAM_TYPES.has(d.type));
      const byUrl = new Map<string, SearchParameter>();
      for (const d of all) if (!byUrl.has(d.url)) byUrl.set(d.url, d);
      return { all, byUrl, skipped };
    });
  }

  /** The profile-folder definitions left out, with why (reads the definitions if not yet done). */
  skipped(): readonly SkippedSearchParameter[] {
    return this.definitions().skipped;
  }

  param(type: string, code: string): SearchParam | undefined {
    return this.paramsMap(type).get(code);
  }

  params(type: string): SearchParam[] {
    return [...this.paramsMap(type).values()];
  }

  /** A composite component's expression, evaluated relative to a node at `basePath` (typed by the R4 model). */
  componentEvaluator(param: SearchParam, index: number, basePath: string | undefined): CompiledExpression {
    const expression = param.components![index].expression;
    const key = `${basePath ?? ''}\u0000${expression}`;
    let fn = this.components.get(key);
    if (!fn) {
      fn = compileExpression(expression, basePath && basePath.includes('.') ? basePath : undefined);
      this.components.set(key, fn);
    }
    return fn;
  }

  private paramsMap(type: string): ReadonlyMap<string, SearchParam> {
    let map = this.byType.get(type);
    if (!map) {
      const params = new Map<string, SearchParam>();
      if (R4_RESOURCE_TYPES.has(type)) {
        for (const def of this.definitions().all) {
          if (params.has(def.code) || !appliesTo(def, type)) continue;
          const p = this.toParam(def, type);
          if (p) params.set(p.code, p);
        }
      }
      this.byType.set(type, (map = params));
    }
    return map;
  }

  private toParam(def: SearchParameter, type: string): SearchParam | undefined {
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
        const cdef = this.definitions().byUrl.get(c.definition);
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
}

/** The parameter's compiled expression (compiled once, on first use, and kept on the parameter). */
export function evaluatorFor(param: SearchParam) {
  if (!param.evaluate && param.expression) param.evaluate = compileExpression(param.expression);
  return param.evaluate;
}
