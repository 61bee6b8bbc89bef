import type { ElementDefinitionConstraint } from 'fhir/r4';
import fhirpath from 'fhirpath';
import r4model from 'fhirpath/fhir-context/r4';
import { firstTime, type ValidationContext } from './context';
import type { ElementNode } from './element-tree';
import { finding } from './issues';

/**
 * Layer 4: the FHIRPath constraints of an element, evaluated with the `fhirpath` library and the R4 model.
 * Expressions are compiled once per (type path, expression). ele-1 is not evaluated here: the structural layer
 * checks it on the JSON directly (empty objects, arrays and strings), which is exact and costs nothing.
 */

type Compiled = (resource: unknown, env: Record<string, unknown>) => unknown[];

/**
 * ext-1 (every extension) and ref-1 (every Reference) are the most frequent invariants and pure JSON-shape rules:
 * they are answered from the JSON directly, with the same result fhirpath gives (test/validation/invariants.test.ts
 * compares the two). Keyed by the exact R4 expression, so a definition that words them differently still goes
 * through fhirpath.
 */
const NATIVE: Record<string, (value: Record<string, unknown>, ctx: ValidationContext) => boolean> = {
  'extension.exists() != value.exists()': (ext) => {
    const hasExtension = Array.isArray(ext.extension) && ext.extension.length > 0;
    let hasValue = false;
    for (const k in ext) if (k.length > 5 && k.startsWith('value') && k.charCodeAt(5) < 91) hasValue = true;
    return hasExtension !== hasValue;
  },
  "reference.startsWith('#').not() or (reference.substring(1).trace('url') in %rootResource.contained.id.trace('ids'))": (
    ref,
    ctx,
  ) => {
    const r = ref.reference;
    // `#` alone (the container) gives fhirpath an empty result, which is not a failure.
    return typeof r !== 'string' || !r.startsWith('#') || r === '#' || ctx.containedIds.has(r.slice(1));
  },
};

/** Compiled expressions per constraint object and model path (a constraint is shared by every element it is on). */
const compiled = new WeakMap<ElementDefinitionConstraint, Map<string, Compiled | Error>>();

/**
 * R4's dom-3 (and constraints copied from it) apply `as(type)` to `descendants()`, a collection: FHIRPath makes
 * that an error on more than one item, and every R4 validator reads it as the filter `ofType(type)` it means.
 */
const asFilter = (expression: string) => expression.replace(/descendants\(\)\.as\(/g, 'descendants().ofType(');

/**
 * `trace()` (in ref-1 and dom-3) returns its input unchanged but makes fhirpath serialise the traced values on
 * every evaluation, which made ref-1 the costliest check of a typical resource: removed before compiling.
 */
const withoutTrace = (expression: string) => expression.replace(/\.trace\('[^']*'(\s*,\s*[A-Za-z0-9_.]+)?\)/g, '');

function compile(c: ElementDefinitionConstraint, base: string): Compiled | Error {
  let byBase = compiled.get(c);
  if (!byBase) compiled.set(c, (byBase = new Map()));
  let fn = byBase.get(base);
  if (!fn) {
    const expression = withoutTrace(asFilter(c.expression as string));
    try {
      fn = fhirpath.compile({ base, expression }, r4model, { traceFn: () => undefined }) as unknown as Compiled;
    } catch (err) {
      fn = err instanceof Error ? err : new Error(String(err));
    }
    byBase.set(base, fn);
  }
  return fn;
}

/** The model path the expression is evaluated at: `Patient.contact`, or the data type for a choice element. */
function basePath(node: ElementNode, type: string): string {
  const path = node.def.path;
  return path.endsWith('[x]') ? type : path;
}

function passed(result: unknown[]): boolean {
  // An empty result means the constraint did not apply (its subject is absent): not a failure.
  return result.length === 0 || result.every((r) => r === true);
}

export function checkInvariants(
  node: ElementNode,
  value: unknown,
  type: string,
  location: string,
  ctx: ValidationContext,
  source: string,
): void {
  const constraints = node.def.constraint;
  if (!constraints) return;
  for (const c of constraints) {
    if (c.key === 'ele-1' || !c.expression) continue;
    if (!firstTime(ctx, `inv:${c.key}@${location}`)) continue;
    const native = NATIVE[c.expression];
    if (native && typeof value === 'object' && value !== null) {
      if (!native(value as Record<string, unknown>, ctx)) fail(c, location, ctx, source);
      continue;
    }
    const fn = compile(c, basePath(node, type));
    let result: unknown[];
    try {
      if (fn instanceof Error) throw fn;
      result = fn(value, { resource: ctx.resource, rootResource: ctx.rootResource });
    } catch (err) {
      ctx.findings.push(
        finding('invariant', 'information', 'informational', `Constraint ${c.key} could not be evaluated: ${(err as Error).message.split('\n')[0]}`, location),
      );
      continue;
    }
    if (!passed(result)) fail(c, location, ctx, source);
  }
}

function fail(c: ElementDefinitionConstraint, location: string, ctx: ValidationContext, source: string): void {
  const severity = c.severity === 'error' ? 'error' : 'warning';
  ctx.findings.push(finding('invariant', severity, 'invariant', `Constraint ${c.key} failed: ${c.human} (${source})`, location));
}
