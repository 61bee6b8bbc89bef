import type { ElementDefinitionConstraint } from 'fhir/r4';
import fhirpath from 'fhirpath';
import r4model from 'fhirpath/fhir-context/r4';
import { firstTime, type ValidationContext } from './context';
import type { ElementNode } from './element-tree';
import { finding } from './issues';
import { NATIVE } from './native-invariants';

/**
 * Layer 4: the FHIRPath constraints of an element, evaluated with the `fhirpath` library and the R4 model.
 * Expressions are compiled once per (type path, expression); the most frequent ones are answered from the JSON
 * (native-invariants.ts). ele-1 is not evaluated here: the structural layer checks it on the JSON directly (empty
 * objects, arrays and strings), which is exact and costs nothing.
 */

type Compiled = (resource: unknown, env: Record<string, unknown>) => unknown[];

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

/** The constraint compiled as this layer evaluates it when it is not answered natively (exported for tests). */
export function compileConstraint(c: ElementDefinitionConstraint, base: string): Compiled | Error {
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

export function checkInvariants(node: ElementNode, value: unknown, type: string, location: string, ctx: ValidationContext, source: string): void {
  const constraints = node.def.constraint;
  if (!constraints) return;
  for (const c of constraints) {
    if (c.key === 'ele-1' || !c.expression) continue;
    if (!firstTime(ctx, `inv:${c.key}@${location}`)) continue;
    const native = NATIVE[c.expression];
    if (native && typeof value === 'object' && value !== null) {
      const answer = native(value as Record<string, unknown>, ctx);
      if (answer === false) fail(c, location, ctx, source);
      if (answer !== undefined) continue;
    }
    const fn = compileConstraint(c, basePath(node, type));
    let result: unknown[];
    try {
      if (fn instanceof Error) throw fn;
      result = fn(value, { resource: ctx.resource, rootResource: ctx.rootResource });
    } catch (err) {
      // fhirpath.js throws strings as well as Errors (comparing a date with an unparseable one). Where the value
      // holds a structural error, that error is the finding: the rule could not be evaluated because of it.
      if (!hasStructuralErrorWithin(ctx, location)) {
        const message = (err instanceof Error ? err.message : String(err)).split('\n')[0];
        ctx.findings.push(finding('invariant', 'information', 'informational', `Constraint ${c.key} could not be evaluated: ${message}`, location));
      }
      continue;
    }
    if (!passed(result)) fail(c, location, ctx, source);
  }
}

/** Has the structural layer (run before the walk) reported an error at `location` or inside it? */
function hasStructuralErrorWithin(ctx: ValidationContext, location: string): boolean {
  return ctx.findings.some((f) => {
    const at = f.layer === 'structure' ? f.issue.expression?.[0] : undefined;
    return at !== undefined && (at === location || at.startsWith(`${location}.`) || at.startsWith(`${location}[`));
  });
}

function fail(c: ElementDefinitionConstraint, location: string, ctx: ValidationContext, source: string): void {
  const severity = c.severity === 'error' ? 'error' : 'warning';
  ctx.findings.push(finding('invariant', severity, 'invariant', `Constraint ${c.key} failed: ${c.human} (${source})`, location));
}
