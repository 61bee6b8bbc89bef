/**
 * Compiles a MongoDB query filter into a predicate. Written for the engine rather than delegated to mingo because
 * several MongoDB rules FHIR search depends on differ there (null through arrays, `$type` on array elements,
 * regex option `x`), and because a closure tree is far cheaper per document. `$expr` is delegated to mingo.
 */
import { Query } from 'mingo';
import { Rank, compareValues, regexParts, typeRank, typeTest } from '../values/bson-order';
import { encodeKey } from '../values/key-encoding';
import { badValue } from '../errors';
import { LRUCache } from 'lru-cache';
import { Found, MISSING, collectValues, isPlainObject, splitPath } from './paths';

export type Doc = Record<string, unknown>;
export type Predicate = (doc: Doc) => boolean;
/** Tests the values one path reached. */
type ValuesTest = (values: Found[]) => boolean;
/** Tests one reached value, looking inside it when it is an array. */
type ValueTest = (v: unknown) => boolean;

// The engine's own caches are module state on purpose: they memoise pure functions of their keys, so every engine
// in the process can share them.
const cache = new LRUCache<string, Predicate>({ max: 2000 });

/** Compiles (or fetches from an LRU cache) the predicate for a filter. */
export function compileFilter(filter: Doc | undefined | null): Predicate {
  if (!filter || Object.keys(filter).length === 0) return () => true;
  const key = encodeKey(filter);
  let p = cache.get(key);
  if (p === undefined) {
    p = compileDocument(filter);
    cache.set(key, p);
  }
  return p;
}

function compileDocument(filter: Doc): Predicate {
  const tests: Predicate[] = [];
  for (const key of Object.keys(filter)) {
    const spec = filter[key];
    if (key.startsWith('$')) tests.push(compileTopLevel(key, spec, filter));
    else tests.push(compileField(key, spec));
  }
  if (tests.length === 1) return tests[0];
  return (doc) => {
    for (const t of tests) if (!t(doc)) return false;
    return true;
  };
}

function compileClauses(op: string, spec: unknown): Predicate[] {
  if (!Array.isArray(spec) || spec.length === 0) throw badValue(`${op} must be a nonempty array`);
  return spec.map((s) => {
    if (!isPlainObject(s)) throw badValue(`${op} argument's entries must be objects`);
    return compileDocument(s);
  });
}

function compileTopLevel(op: string, spec: unknown, whole: Doc): Predicate {
  switch (op) {
    case '$and': {
      const ps = compileClauses(op, spec);
      return (d) => ps.every((p) => p(d));
    }
    case '$or': {
      const ps = compileClauses(op, spec);
      return (d) => ps.some((p) => p(d));
    }
    case '$nor': {
      const ps = compileClauses(op, spec);
      return (d) => !ps.some((p) => p(d));
    }
    case '$comment':
      return () => true;
    case '$expr': {
      const q = new Query({ $expr: spec } as Doc, {});
      return (d) => q.test(d);
    }
    case '$where':
    case '$text':
    case '$jsonSchema':
    case '$sampleRate':
      throw badValue(`${op} is not supported by the embedded engine`);
    default:
      void whole;
      throw badValue(`unknown top level operator: ${op}`);
  }
}

function isOperatorObject(spec: unknown): spec is Doc {
  if (!isPlainObject(spec)) return false;
  const keys = Object.keys(spec);
  return keys.length > 0 && keys[0].startsWith('$');
}

function compileField(path: string, spec: unknown): Predicate {
  const parts = splitPath(path);
  const test = compileValuesTest(spec);
  if (parts.length === 1) {
    const k = parts[0];
    // Fast path: a top-level field needs no traversal.
    return (doc) => {
      const v = doc[k];
      return test(v === undefined ? [MISSING] : [v]);
    };
  }
  return (doc) => test(collectValues(doc, parts));
}

/** Literal or operator expression for one path. */
function compileValuesTest(spec: unknown): ValuesTest {
  if (!isOperatorObject(spec)) return anyValue(equalityTest(spec), spec === null);
  const tests: ValuesTest[] = [];
  const ops = spec;
  for (const op of Object.keys(ops)) {
    if (op === '$options') {
      if (!('$regex' in ops)) throw badValue('$options needs a $regex');
      continue;
    }
    tests.push(compileOperator(op, ops[op], ops));
  }
  if (tests.length === 1) return tests[0];
  return (vals) => {
    for (const t of tests) if (!t(vals)) return false;
    return true;
  };
}

/** True when some reached value satisfies `t`; MISSING counts only for null-matching tests. */
function anyValue(t: ValueTest, missingMatches: boolean): ValuesTest {
  return (vals) => {
    for (const v of vals) {
      if (v === MISSING) {
        if (missingMatches) return true;
      } else if (t(v)) return true;
    }
    return false;
  };
}

/** Applies `t` to the value and, if it is an array, to each element (MongoDB's implicit leaf-array rule). */
function withElements(t: (v: unknown) => boolean): ValueTest {
  return (v) => {
    if (t(v)) return true;
    if (Array.isArray(v)) for (const e of v) if (t(e)) return true;
    return false;
  };
}

function equalityTest(target: unknown): ValueTest {
  if (target instanceof RegExp || typeRank(target) === Rank.RegExp) {
    const re = toRegExp(target);
    return withElements((v) => (typeof v === 'string' ? re.test(v) : typeRank(v) === Rank.RegExp && compareValues(v, target) === 0));
  }
  if (target === null) return withElements((v) => v === null || v === undefined);
  if (typeof target === 'string') return withElements((v) => v === target);
  if (typeof target === 'number') return withElements((v) => v === target || (typeRank(v) === Rank.Number && compareValues(v, target) === 0));
  return withElements((v) => compareValues(v, target) === 0);
}

function rangeTest(op: string, target: unknown): ValueTest {
  const rank = typeRank(target);
  const cmp = (v: unknown): boolean => {
    const r = typeRank(v);
    // MinKey/MaxKey bounds compare across types; otherwise only values of the same canonical type compare.
    if (r !== rank && rank !== Rank.MinKey && rank !== Rank.MaxKey) return false;
    const c = compareValues(v, target);
    switch (op) {
      case '$gt':
        return c > 0;
      case '$gte':
        return c >= 0;
      case '$lt':
        return c < 0;
      default:
        return c <= 0;
    }
  };
  return withElements(cmp);
}

function compileOperator(op: string, arg: unknown, all: Doc): ValuesTest {
  switch (op) {
    case '$eq':
      return anyValue(equalityTest(arg), arg === null);
    case '$ne': {
      const eq = anyValue(equalityTest(arg), arg === null);
      return (vals) => !eq(vals);
    }
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte': {
      // {$gte: null} / {$lte: null} match null and missing like equality does.
      const nullable = arg === null && (op === '$gte' || op === '$lte');
      return anyValue(rangeTest(op, arg), nullable);
    }
    case '$in':
    case '$nin': {
      if (!Array.isArray(arg)) throw badValue(`${op} needs an array`);
      const tests = arg.map((a) => equalityTest(a));
      const hasNull = arg.some((a) => a === null);
      const inTest = anyValue((v) => tests.some((t) => t(v)), hasNull);
      return op === '$in' ? inTest : (vals) => !inTest(vals);
    }
    case '$exists': {
      const want = Boolean(arg);
      return (vals) => vals.some((v) => v !== MISSING) === want;
    }
    case '$type': {
      const specs = Array.isArray(arg) ? arg : [arg];
      const tests = specs.map((s) => {
        const t = typeTest(s);
        if (!t) throw badValue(`Unknown type name alias: ${String(s)}`);
        return t;
      });
      const one = (v: unknown) => tests.some((t) => t(v));
      // An array value matches 'array' itself, and any element's type counts too.
      return anyValue(withElements(one), false);
    }
    case '$regex': {
      const re = toRegExp(arg, all.$options);
      return anyValue(
        withElements((v) => typeof v === 'string' && re.test(v)),
        false,
      );
    }
    case '$size': {
      if (typeof arg !== 'number' || !Number.isInteger(arg) || arg < 0) throw badValue('$size needs a non-negative integer');
      return anyValue((v) => Array.isArray(v) && v.length === arg, false);
    }
    case '$all': {
      if (!Array.isArray(arg)) throw badValue('$all needs an array');
      if (arg.length === 0) return () => false;
      const tests = arg.map((a) => (isPlainObject(a) && '$elemMatch' in a ? compileOperator('$elemMatch', a.$elemMatch, a) : anyValue(equalityTest(a), a === null)));
      return (vals) => tests.every((t) => t(vals));
    }
    case '$elemMatch':
      return anyValue(elemMatchTest(arg), false);
    case '$not': {
      let inner: ValuesTest;
      if (arg instanceof RegExp || typeRank(arg) === Rank.RegExp)
        inner = anyValue(
          withElements((v) => typeof v === 'string' && toRegExp(arg).test(v)),
          false,
        );
      else if (isOperatorObject(arg)) inner = compileValuesTest(arg);
      else throw badValue('$not needs a regex or a document');
      return (vals) => !inner(vals);
    }
    case '$mod': {
      if (!Array.isArray(arg) || arg.length !== 2) throw badValue('malformed mod, needs to be an array of 2 numbers');
      const [d, r] = arg.map(Number);
      if (d === 0) throw badValue('divisor cannot be 0');
      return anyValue(
        withElements((v) => typeof v === 'number' && Math.trunc(v) % d === r),
        false,
      );
    }
    case '$comment':
      return () => true;
    default:
      throw badValue(`unknown operator: ${op}`);
  }
}

/** `$elemMatch`: some element of an array value satisfies the whole sub-query at once. */
function elemMatchTest(spec: unknown): ValueTest {
  if (!isPlainObject(spec)) throw badValue('$elemMatch needs an Object');
  const keys = Object.keys(spec);
  const operatorForm = keys.length > 0 && keys.every((k) => k.startsWith('$') && k !== '$and' && k !== '$or' && k !== '$nor' && k !== '$expr');
  if (operatorForm) {
    const t = compileValuesTest(spec);
    return (v) => Array.isArray(v) && v.some((e) => t([e]));
  }
  const p = compileDocument(spec);
  return (v) => Array.isArray(v) && v.some((e) => isPlainObject(e) && p(e));
}

/** Strips whitespace and `#` comments outside character classes, as PCRE's extended mode does. */
function stripExtended(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      out += c + (pattern[i + 1] ?? '');
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
      out += c;
    } else if (c === '[') {
      inClass = true;
      out += c;
    } else if (c === '#') {
      while (i < pattern.length && pattern[i] !== '\n') i++;
    } else if (!/\s/.test(c)) out += c;
  }
  return out;
}

const regexCache = new LRUCache<string, RegExp>({ max: 1000 });

/** Builds a JS RegExp from a RegExp, a BSON regex or a `$regex` string plus `$options` (i, m, s, x). */
export function toRegExp(value: unknown, options?: unknown): RegExp {
  let pattern: string;
  let flags: string;
  if (typeof value === 'string') [pattern, flags] = [value, ''];
  else if (value instanceof RegExp || typeRank(value) === Rank.RegExp) [pattern, flags] = regexParts(value);
  else throw badValue('$regex has to be a string');
  if (typeof options === 'string') flags = options;
  else if (options !== undefined) throw badValue('$options has to be a string');
  const key = `${flags}/${pattern}`;
  const hit = regexCache.get(key);
  if (hit) return hit;
  let jsFlags = '';
  for (const f of flags) {
    if (f === 'i' || f === 'm' || f === 's') jsFlags += f;
    else if (f === 'x') pattern = stripExtended(pattern);
    else if (f !== 'u' && f !== 'g') throw badValue(`invalid flag in regex options: ${f}`);
  }
  let re: RegExp;
  try {
    re = new RegExp(pattern, jsFlags);
  } catch (e) {
    throw badValue(`Regular expression is invalid: ${(e as Error).message}`);
  }
  regexCache.set(key, re);
  return re;
}
