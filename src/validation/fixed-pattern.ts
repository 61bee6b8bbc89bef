import type { ElementDefinition } from 'fhir/r4';

/** The `fixed[x]` or `pattern[x]` an element definition carries, if any. */
export interface Expected {
  kind: 'fixed' | 'pattern';
  value: unknown;
}

const cache = new WeakMap<ElementDefinition, Expected | null>();

export function expectedValue(def: ElementDefinition): Expected | undefined {
  let e = cache.get(def);
  if (e === undefined) {
    e = null;
    for (const [key, value] of Object.entries(def)) {
      if (/^fixed[A-Z]/.test(key)) e = { kind: 'fixed', value };
      else if (/^pattern[A-Z]/.test(key)) e = { kind: 'pattern', value };
    }
    cache.set(def, e);
  }
  return e ?? undefined;
}

/** Exact equality of JSON values (a fixed value allows nothing more and nothing less). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => jsonEqual(v, bb[i]));
  }
  const ka = Object.keys(a);
  const ob = b as Record<string, unknown>;
  return ka.length === Object.keys(ob).length && ka.every((k) => jsonEqual((a as Record<string, unknown>)[k], ob[k]));
}

/**
 * Does `actual` contain `pattern`? Every property the pattern has must be present with a matching value, and
 * every item of a pattern array must match some item of the instance's array (FHIR's pattern[x] semantics).
 */
export function matchesPattern(actual: unknown, pattern: unknown): boolean {
  if (typeof pattern !== 'object' || pattern === null) return actual === pattern;
  if (typeof actual !== 'object' || actual === null) return false;
  if (Array.isArray(pattern)) {
    if (!Array.isArray(actual)) return false;
    return pattern.every((p) => actual.some((a) => matchesPattern(a, p)));
  }
  const act = actual as Record<string, unknown>;
  return Object.entries(pattern).every(([k, v]) => matchesPattern(act[k], v));
}

export function satisfies(actual: unknown, expected: Expected): boolean {
  return expected.kind === 'fixed' ? jsonEqual(actual, expected.value) : matchesPattern(actual, expected.value);
}
