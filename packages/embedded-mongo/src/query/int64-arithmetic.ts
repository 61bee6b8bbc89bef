/**
 * `$inc`, `$mul` and `$bit` where a 64-bit integer takes part. The wire promotes every int64 that a double holds
 * exactly, so a Long in a document is one beyond 2^53; mingo's arithmetic takes it for an object and leaves the field
 * as it was while the update reports a match. MongoDB's rules instead: integers stay 64-bit integers (exact, and an
 * overflow is refused), a fractional operand makes the result a double, `$bit` takes integers only.
 */
import { Long } from 'bson';
import { badValue } from '../errors';
import { Doc } from './matcher';
import { isPlainObject, splitPath } from './paths';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const ARITHMETIC = ['$inc', '$mul', '$bit'] as const;

function integral(v: unknown): bigint | undefined {
  if (v instanceof Long) return v.toBigInt();
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  return undefined;
}

function shown(v: unknown): string {
  return v instanceof Long ? `(NumberLong)${v.toString()}` : String(v);
}

/** The object holding the field at `path` when every step to it is a plain object (no arrays, no positional). */
function parentOf(doc: Doc, parts: string[]): Doc | undefined {
  let cur: unknown = doc;
  for (const p of parts.slice(0, -1)) {
    cur = isPlainObject(cur) ? cur[p] : undefined;
    if (!isPlainObject(cur)) return undefined;
  }
  return cur as Doc;
}

/** The new value, or undefined when no Long takes part (mingo applies it). */
function apply(op: (typeof ARITHMETIC)[number], current: unknown, operand: unknown, id: unknown): unknown {
  const bitOps = op === '$bit' && isPlainObject(operand) ? Object.entries(operand) : undefined;
  const operands = bitOps ? bitOps.map(([, v]) => v) : [operand];
  if (!(current instanceof Long) && !operands.some((v) => v instanceof Long)) return undefined;
  const fail = () => badValue(`Failed to apply ${op} operations to current value (${shown(current)}) for document {_id: ${String(id)}}`);
  if (bitOps) {
    let out = integral(current ?? 0);
    for (const [kind, v] of bitOps) {
      const b = integral(v);
      if (out === undefined || b === undefined) throw badValue('The $bit modifier field must be an Integer(32/64 bit)');
      if (kind === 'and') out &= b;
      else if (kind === 'or') out |= b;
      else if (kind === 'xor') out ^= b;
      else throw badValue(`The $bit modifier only supports 'and', 'or', and 'xor', not '${kind}'`);
    }
    return Long.fromBigInt(out!);
  }
  if (typeof operand !== 'number' && !(operand instanceof Long)) return undefined;
  if (current !== undefined && typeof current !== 'number' && !(current instanceof Long)) return undefined;
  const a = integral(current ?? 0);
  const b = integral(operand);
  if (a === undefined || b === undefined) {
    const x = Number(current ?? 0);
    const y = Number(operand);
    return op === '$inc' ? x + y : x * y;
  }
  const out = op === '$inc' ? a + b : a * b;
  if (out < INT64_MIN || out > INT64_MAX) throw fail();
  return Long.fromBigInt(out);
}

/**
 * Applies to `doc` (the update's private copy) the `$inc`/`$mul`/`$bit` fields of `spec` where a Long takes part and
 * the path is plain; returns `spec` without them, for mingo to apply the rest.
 */
export function applyInt64Arithmetic(doc: Doc, spec: Doc): Doc {
  let rest = spec;
  for (const op of ARITHMETIC) {
    const fields = spec[op];
    if (!isPlainObject(fields)) continue;
    let left: Doc | undefined;
    for (const [path, operand] of Object.entries(fields)) {
      const parts = splitPath(path);
      const parent = parentOf(doc, parts);
      const value = parent && apply(op, parent[parts[parts.length - 1]], operand, doc._id);
      if (value === undefined) continue;
      parent![parts[parts.length - 1]] = value;
      left ??= { ...fields };
      delete left[path];
    }
    if (left) {
      rest = { ...rest };
      if (Object.keys(left).length > 0) rest[op] = left;
      else delete rest[op];
    }
  }
  return rest;
}
