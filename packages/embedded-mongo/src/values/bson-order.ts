/**
 * MongoDB's total order over BSON values ("canonical type" first, then the value), used by sorting, range
 * operators and index keys alike so the three can never disagree.
 */

/** Canonical type ranks, in MongoDB's comparison order. Missing/undefined rank with null. */
export const Rank = {
  MinKey: 1,
  Null: 2,
  Number: 3,
  String: 4,
  Object: 5,
  Array: 6,
  Binary: 7,
  ObjectId: 8,
  Boolean: 9,
  Date: 10,
  Timestamp: 11,
  RegExp: 12,
  MaxKey: 13,
} as const;

type BsonLike = { _bsontype?: string };

export function bsonTypeOf(v: unknown): string | undefined {
  return typeof v === 'object' && v !== null ? (v as BsonLike)._bsontype : undefined;
}

export function typeRank(v: unknown): number {
  if (v === null || v === undefined) return Rank.Null;
  switch (typeof v) {
    case 'number':
    case 'bigint':
      return Rank.Number;
    case 'string':
      return Rank.String;
    case 'boolean':
      return Rank.Boolean;
    case 'object':
      break;
    default:
      return Rank.Object;
  }
  if (Array.isArray(v)) return Rank.Array;
  if (v instanceof Date) return Rank.Date;
  if (v instanceof RegExp) return Rank.RegExp;
  switch ((v as BsonLike)._bsontype) {
    case undefined:
      return Rank.Object;
    case 'Long':
    case 'Int32':
    case 'Double':
    case 'Decimal128':
      return Rank.Number;
    case 'BSONSymbol':
      return Rank.String;
    case 'ObjectId':
      return Rank.ObjectId;
    case 'Binary':
      return Rank.Binary;
    case 'Timestamp':
      return Rank.Timestamp;
    case 'BSONRegExp':
      return Rank.RegExp;
    case 'MinKey':
      return Rank.MinKey;
    case 'MaxKey':
      return Rank.MaxKey;
    default:
      return Rank.Object;
  }
}

/** Numeric value of any BSON number; Long beyond 2^53 and Decimal128 are approximated (documented limit). */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  const t = bsonTypeOf(v);
  if (t === 'Long' || t === 'Timestamp') return (v as { toNumber(): number }).toNumber();
  if (t === 'Decimal128') return Number.parseFloat((v as { toString(): string }).toString());
  return Number((v as { valueOf(): unknown }).valueOf());
}

function compareNumbers(a: number, b: number): number {
  // MongoDB orders NaN below every other number and treats NaN as equal to NaN.
  const an = Number.isNaN(a);
  const bn = Number.isNaN(b);
  if (an || bn) return an && bn ? 0 : an ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Code-unit order lifted to code-point order (= MongoDB's UTF-8 byte order) at the first difference. */
function lift(c: number): number {
  return c >= 0xd800 && c <= 0xdfff ? c + 0x2000 : c >= 0xe000 ? c - 0x800 : c;
}

function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return x < 0xd800 && y < 0xd800 ? x - y : lift(x) - lift(y);
  }
  return a.length - b.length;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function compareObjects(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const ak = Object.keys(a);
  const bk = Object.keys(b);
  const n = Math.min(ak.length, bk.length);
  for (let i = 0; i < n; i++) {
    const av = a[ak[i]];
    const bv = b[bk[i]];
    const r = typeRank(av) - typeRank(bv) || compareStrings(ak[i], bk[i]) || compareValues(av, bv);
    if (r !== 0) return r;
  }
  return ak.length - bk.length;
}

/** Total order over BSON values as MongoDB sorts them. Returns <0, 0 or >0. */
export function compareValues(a: unknown, b: unknown): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case Rank.Null:
    case Rank.MinKey:
    case Rank.MaxKey:
      return 0;
    case Rank.Number:
      return typeof a === 'number' && typeof b === 'number' ? compareNumbers(a, b) : compareNumbers(toNumber(a), toNumber(b));
    case Rank.String:
      return compareStrings(String(a), String(b));
    case Rank.Object:
      return compareObjects(a as Record<string, unknown>, b as Record<string, unknown>);
    case Rank.Array: {
      const x = a as unknown[];
      const y = b as unknown[];
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const r = compareValues(x[i], y[i]);
        if (r !== 0) return r;
      }
      return x.length - y.length;
    }
    case Rank.Binary: {
      const x = a as { buffer: Uint8Array; sub_type: number; position: number };
      const y = b as { buffer: Uint8Array; sub_type: number; position: number };
      const xb = x.buffer.subarray(0, x.position);
      const yb = y.buffer.subarray(0, y.position);
      return xb.length - yb.length || x.sub_type - y.sub_type || compareBytes(xb, yb);
    }
    case Rank.ObjectId:
      return compareStrings((a as { toHexString(): string }).toHexString(), (b as { toHexString(): string }).toHexString());
    case Rank.Boolean:
      return Number(a) - Number(b);
    case Rank.Date:
      return compareNumbers((a as Date).getTime(), (b as Date).getTime());
    case Rank.Timestamp: {
      const x = a as { high: number; low: number };
      const y = b as { high: number; low: number };
      return (x.high >>> 0) - (y.high >>> 0) || (x.low >>> 0) - (y.low >>> 0);
    }
    case Rank.RegExp: {
      const [xp, xf] = regexParts(a);
      const [yp, yf] = regexParts(b);
      return compareStrings(xp, yp) || compareStrings(xf, yf);
    }
    default:
      return 0;
  }
}

export function regexParts(v: unknown): [string, string] {
  if (v instanceof RegExp) return [v.source, v.flags];
  const r = v as { pattern: string; options: string };
  return [r.pattern, r.options];
}

export function valuesEqual(a: unknown, b: unknown): boolean {
  return compareValues(a, b) === 0;
}

/** The `$type` names MongoDB accepts, mapped to a test of a single (non-expanded) value. */
const typeTests: Record<string, (v: unknown) => boolean> = {
  double: (v) => (typeof v === 'number' && (!Number.isInteger(v) || !isInt32(v))) || bsonTypeOf(v) === 'Double',
  string: (v) => typeof v === 'string',
  object: (v) => typeRank(v) === Rank.Object,
  array: (v) => Array.isArray(v),
  binData: (v) => bsonTypeOf(v) === 'Binary',
  undefined: (v) => v === undefined,
  objectId: (v) => bsonTypeOf(v) === 'ObjectId',
  bool: (v) => typeof v === 'boolean',
  date: (v) => v instanceof Date,
  null: (v) => v === null,
  regex: (v) => typeRank(v) === Rank.RegExp,
  javascript: (v) => bsonTypeOf(v) === 'Code',
  symbol: (v) => bsonTypeOf(v) === 'BSONSymbol',
  int: (v) => (typeof v === 'number' && isInt32(v)) || bsonTypeOf(v) === 'Int32',
  timestamp: (v) => bsonTypeOf(v) === 'Timestamp',
  long: (v) => bsonTypeOf(v) === 'Long' || typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v) && !isInt32(v)),
  decimal: (v) => bsonTypeOf(v) === 'Decimal128',
  minKey: (v) => bsonTypeOf(v) === 'MinKey',
  maxKey: (v) => bsonTypeOf(v) === 'MaxKey',
  number: (v) => typeRank(v) === Rank.Number,
};
const typeCodes: Record<number, string> = {
  1: 'double',
  2: 'string',
  3: 'object',
  4: 'array',
  5: 'binData',
  6: 'undefined',
  7: 'objectId',
  8: 'bool',
  9: 'date',
  10: 'null',
  11: 'regex',
  13: 'javascript',
  14: 'symbol',
  16: 'int',
  17: 'timestamp',
  18: 'long',
  19: 'decimal',
  [-1]: 'minKey',
  127: 'maxKey',
};

function isInt32(v: number): boolean {
  return Number.isInteger(v) && v >= -2147483648 && v <= 2147483647;
}

/** Resolves a `$type` operand (alias or number) to a predicate; undefined when MongoDB would reject it. */
export function typeTest(spec: unknown): ((v: unknown) => boolean) | undefined {
  const name = typeof spec === 'number' ? typeCodes[spec] : typeof spec === 'string' ? spec : undefined;
  return name === undefined ? undefined : typeTests[name];
}
