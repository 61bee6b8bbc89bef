import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4';
import { compileMemberPaths } from './member-path';
import { ancestors, codeElement, compileNativePath, type NativeEvaluator, resolvedType } from './native-path';
import { path2Repeating } from 'fhirpath/fhir-context/r4';

export { referenceTargetType } from './native-path';

/**
 * FHIRPath for index-on-write. Definitions shared by many types carry one union expression for all of them
 * (`AllergyIntolerance.recordedDate | CarePlan.period | ...`); each type gets only its own branches, compiled once.
 */

/** Splits on `|` at the top level (outside parentheses, brackets and string literals). */
export function splitUnion(expression: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const ch = expression[i];
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"' || ch === '`') quote = ch;
    else if (ch === '(' || ch === '[') depth++;
    else if (ch === ')' || ch === ']') depth--;
    else if (ch === '|' && depth === 0) {
      parts.push(expression.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(expression.slice(start).trim());
  return parts.filter(Boolean);
}

/** The branches of `expression` that apply to `type` (its own name or an ancestor such as Resource), re-joined. */
export function expressionForType(expression: string, type: string): string | undefined {
  const names = ancestors(type);
  const parts = splitUnion(expression).filter((part) => {
    const head = /^\(*\s*([A-Za-z]+)/.exec(part)?.[1];
    return head !== undefined && names.includes(head);
  });
  return parts.length ? parts.join(' | ') : undefined;
}

/**
 * True when every branch of an expression is a plain non-repeating element of the resource (`Encounter.period`,
 * `Patient.birthDate`): such a parameter has at most one value per resource.
 */
export function isSingleValued(expression: string | undefined): boolean {
  if (!expression) return false;
  const repeating = path2Repeating as Record<string, boolean | undefined>;
  return splitUnion(expression).every((b) => /^[A-Z][A-Za-z]+\.[a-z][A-Za-z]*$/.test(b) && !repeating[b]);
}

/**
 * Definitions select references by target type with `where(resolve() is Patient)`. Indexing must not fetch
 * anything, so `resolve()` is replaced by a synchronous function that yields `{resourceType}` from the reference
 * text (or Reference.type), and `is T` (which needs a typed node) by a resourceType comparison.
 */
const userInvocationTable = {
  resolve: {
    fn: (inputs: unknown[]) =>
      inputs.flatMap((input) => {
        const type = resolvedType(input);
        return type ? [{ resourceType: type }] : [];
      }),
    arity: { 0: [] },
  },
};

/**
 * Two rewrites make the R4 expressions evaluable by fhirpath.js on real data: `resolve() is T` (see above), and
 * `x as T` / `x.as(T)`, which fhirpath.js only allows on a single value while the definitions apply them to
 * repeating elements (`Observation.component.value as Quantity`); `ofType(T)` is the filtering they mean.
 */
function rewrite(expression: string): string {
  return expression
    .replace(/resolve\(\)\s+is\s+([A-Za-z]+)/g, "resolve().resourceType = '$1'")
    .replace(/\s+as\s+([A-Za-z]+)/g, '.ofType($1)')
    .replace(/\.as\(([A-Za-z]+)\)/g, '.ofType($1)');
}

/** One value selected by an expression, with its FHIR data type (from the R4 model) when known. */
export interface FhirNode {
  type: string | undefined;
  value: unknown;
  /** Model path of the node (e.g. 'Observation.component'), the base for evaluating composite components. */
  path?: string;
  /**
   * Model path of the element a `code` node is the value of (`Patient.gender`, `Address.use`), where its binding
   * implies the code's system; absent for other types and for choice elements.
   */
  element?: string;
}

interface RawNode {
  data?: unknown;
  fhirNodeDataType?: string | null;
  path?: string | null;
  parentResNode?: RawNode | null;
  propName?: string;
}

/** The element path of a `code` node fhirpath.js returned, named as the JSON walks name it (codeElement). */
function rawCodeElement(node: RawNode): string | undefined {
  const parent = node.parentResNode?.path;
  return node.fhirNodeDataType === 'code' && parent && node.propName ? codeElement(parent, node.propName) : undefined;
}

export type CompiledExpression = (input: unknown) => FhirNode[];

/** The expression evaluated by fhirpath.js, whatever its form. */
export function compileWithFhirpath(expression: string, base?: string): CompiledExpression {
  const rewritten = rewrite(expression);
  const path = base ? { base, expression: rewritten } : rewritten;
  const fn = fhirpath.compile(path as string, r4Model, { resolveInternalTypes: false, userInvocationTable });
  return (input: unknown) => {
    const result = fn(input as object) as unknown[];
    return result.map((n) => {
      if (n && typeof n === 'object' && 'fhirNodeDataType' in (n as object)) {
        const node = n as RawNode;
        // Top-level decimals come back as FP_Decimal (exact decimal arithmetic); the index stores numbers.
        const value = node.data instanceof fhirpath.FP_Decimal ? node.data.toNumber() : node.data;
        return { type: node.fhirNodeDataType ?? undefined, value, path: node.path ?? undefined, element: rawCodeElement(node) };
      }
      return { type: typeof n === 'boolean' ? 'boolean' : undefined, value: n };
    });
  };
}

/**
 * The expression walked on the JSON (native-path.ts), after the rewrites fhirpath.js gets; undefined for forms the
 * walk does not take. Its evaluation answers undefined where fhirpath.js must decide.
 */
export function compileNative(expression: string, base?: string): NativeEvaluator | undefined {
  return compileNativePath(splitUnion(rewrite(expression)), base);
}

export function compileExpression(expression: string, base?: string): CompiledExpression {
  const fast = base ? undefined : compileMemberPaths(splitUnion(expression));
  if (fast) return fast;
  // Compiled by fhirpath.js all the same: it is the fallback, and its compile errors stay the caller's errors.
  const slow = compileWithFhirpath(expression, base);
  const native = compileNative(expression, base);
  return native ? (input: unknown) => native(input) ?? slow(input) : slow;
}
