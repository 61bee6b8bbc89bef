/**
 * Order-preserving string encoding of BSON values: for any a, b, `compareValues(a, b)` and the plain JS string
 * comparison of `encodeKey(a)`, `encodeKey(b)` agree (up to the documented approximations of huge Longs and
 * Decimal128). Index B-trees compare these strings natively, which is several times faster than a type-dispatching
 * comparator, and compound keys are plain concatenations because every encoding is prefix-free.
 *
 * Every code unit is kept below 256 so V8 stores keys as one-byte strings (half the memory, faster compares):
 * numbers are written byte by byte and strings as their UTF-8 bytes, which also gives MongoDB's binary UTF-8
 * string order. A descending key component is the byte complement of the ascending one: complementing a
 * prefix-free code reverses its order.
 */
import { Rank, bsonTypeOf, regexParts, toNumber, typeRank } from './bson-order';

const fromBytes = (bytes: ArrayLike<number>) => String.fromCharCode.apply(null, Array.from(bytes));

const TYPE_CHARS = Array.from({ length: 16 }, (_, rank) => String.fromCharCode(0x10 + rank));

function typeChar(rank: number): string {
  return TYPE_CHARS[rank];
}

const STRING_TYPE = TYPE_CHARS[Rank.String];
const NUMBER_TYPE = TYPE_CHARS[Rank.Number];
const NULL_TYPE = TYPE_CHARS[Rank.Null];
const NAN_BODY = '\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000';
const scratch = new DataView(new ArrayBuffer(8));

/** 64-bit double as eight byte-sized code units, ordered like the numbers (NaN lowest, -0 == 0). */
function encodeDouble(n: number): string {
  if (n !== n) return NAN_BODY;
  scratch.setFloat64(0, n === 0 ? 0 : n); // big-endian
  let hi = scratch.getUint32(0);
  let lo = scratch.getUint32(4);
  // Flip the sign bit of positives, all bits of negatives: IEEE-754 then sorts as unsigned integers.
  if (hi >= 0x80000000) {
    hi = ~hi >>> 0;
    lo = ~lo >>> 0;
  } else hi = (hi | 0x80000000) >>> 0;
  // NaN takes the all-zero slot; -Infinity (0x000f...) stays above it.
  return String.fromCharCode(hi >>> 24, (hi >>> 16) & 0xff, (hi >>> 8) & 0xff, hi & 0xff, lo >>> 24, (lo >>> 16) & 0xff, (lo >>> 8) & 0xff, lo & 0xff);
}

/** Characters that need work: the escaped 0 and 1, and anything outside ASCII (re-encoded as UTF-8 bytes). */
const NOT_PLAIN = /[\u0000\u0001\u0080-\uffff]/;

function utf8(s: string): string {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.from(s, 'utf8').toString('latin1');
  return s;
}

/** Escapes 0 and 1 so the 0 terminator keeps the code prefix-free. */
function encodeString(str: string): string {
  // Most strings (codes, ids, systems) are plain ASCII: one native scan instead of two loops.
  if (!NOT_PLAIN.test(str)) return str + '\u0000';
  const s = utf8(str);
  let out = '';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 1) {
      out += s.slice(start, i) + (c === 0 ? '\u0001\u0001' : '\u0001\u0002');
      start = i + 1;
    }
  }
  return (start === 0 ? s : out + s.slice(start)) + '\u0000';
}

function encodeBody(v: unknown, rank: number): string {
  switch (rank) {
    case Rank.Null:
    case Rank.MinKey:
    case Rank.MaxKey:
      return '';
    case Rank.Number:
      return encodeDouble(typeof v === 'number' ? v : toNumber(v));
    case Rank.String:
      return encodeString(String(v));
    case Rank.Object: {
      let out = '';
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        const fv = o[k];
        const r = typeRank(fv);
        out += typeChar(r) + encodeString(k) + encodeBody(fv, r);
      }
      return out + '\u0000';
    }
    case Rank.Array: {
      let out = '';
      for (const e of v as unknown[]) out += encodeKey(e);
      return out + '\u0000';
    }
    case Rank.Binary: {
      const b = v as { buffer: Uint8Array; sub_type: number; position: number };
      const len = b.position;
      return String.fromCharCode(len >>> 24, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff, b.sub_type) + fromBytes(b.buffer.subarray(0, len));
    }
    case Rank.ObjectId:
      return (v as { toHexString(): string }).toHexString();
    case Rank.Boolean:
      return v ? '1' : '0';
    case Rank.Date:
      return encodeDouble((v as Date).getTime());
    case Rank.Timestamp: {
      const t = v as { high: number; low: number };
      const h = t.high >>> 0;
      const l = t.low >>> 0;
      return String.fromCharCode(h >>> 24, (h >>> 16) & 0xff, (h >>> 8) & 0xff, h & 0xff, l >>> 24, (l >>> 16) & 0xff, (l >>> 8) & 0xff, l & 0xff);
    }
    case Rank.RegExp: {
      const [p, f] = regexParts(v);
      return encodeString(p) + encodeString(f);
    }
    default:
      return '';
  }
}

/** Ascending encoding of one value (type prefix + body). */
export function encodeKey(v: unknown): string {
  // The types index keys are made of almost always, without the general type dispatch.
  if (typeof v === 'string') return STRING_TYPE + encodeString(v);
  if (typeof v === 'number') return NUMBER_TYPE + encodeDouble(v);
  if (v === null || v === undefined) return NULL_TYPE;
  const rank = typeRank(v);
  return TYPE_CHARS[rank] + encodeBody(v, rank);
}

const codes: number[] = [];

export function complement(s: string): string {
  // One string built from an array of codes: appending character by character makes a rope of one-char pieces.
  const n = s.length;
  if (n > 4096) {
    const b = Buffer.from(s, 'latin1');
    for (let i = 0; i < b.length; i++) b[i] = 0xff - b[i];
    return b.toString('latin1');
  }
  codes.length = n;
  for (let i = 0; i < n; i++) codes[i] = 0xff - s.charCodeAt(i);
  return String.fromCharCode.apply(null, codes);
}

export function encodeComponent(v: unknown, descending: boolean): string {
  const e = encodeKey(v);
  return descending ? complement(e) : e;
}

/** Above every continuation of a key: component encodings never start with 0xFF (type chars complement to <= 0xEE). */
export const KEY_MAX_SUFFIX = '\u00ff';

/** Smallest and largest complete encodings of each canonical type usable as range-bracket bounds. */
export function typeBracket(rank: number): [string, string] | undefined {
  switch (rank) {
    case Rank.Number:
      return [encodeKey(Number.NaN), encodeKey(Number.POSITIVE_INFINITY)];
    case Rank.String:
      return [encodeKey(''), typeChar(Rank.String + 1)];
    case Rank.Date:
      return [typeChar(Rank.Date) + encodeDouble(Number.NaN), typeChar(Rank.Date) + encodeDouble(Number.POSITIVE_INFINITY)];
    case Rank.ObjectId:
      return [typeChar(Rank.ObjectId) + '0'.repeat(24), typeChar(Rank.ObjectId) + 'f'.repeat(24)];
    case Rank.Boolean:
      return [encodeKey(false), encodeKey(true)];
    case Rank.Null:
      return [encodeKey(null), encodeKey(null)];
    default:
      return undefined;
  }
}

/** Lower bound (inclusive) of all strings starting with `prefix`, and an upper bound just above them. */
export function stringPrefixRange(prefix: string): [string, string] {
  const enc = encodeString(prefix);
  const open = typeChar(Rank.String) + enc.slice(0, -1);
  return [open, open + KEY_MAX_SUFFIX];
}

export function isBsonMinMax(v: unknown): boolean {
  const t = bsonTypeOf(v);
  return t === 'MinKey' || t === 'MaxKey';
}
