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

const f64 = new Float64Array(1);
const u8 = new Uint8Array(f64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const fromBytes = (bytes: ArrayLike<number>) => String.fromCharCode.apply(null, Array.from(bytes));

function typeChar(rank: number): string {
  return String.fromCharCode(0x10 + rank);
}

/** 64-bit double as eight byte-sized code units, ordered like the numbers (NaN lowest, -0 == 0). */
function encodeDouble(n: number): string {
  if (Number.isNaN(n)) return '\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000';
  f64[0] = n === 0 ? 0 : n;
  const b = LITTLE_ENDIAN ? [u8[7], u8[6], u8[5], u8[4], u8[3], u8[2], u8[1], u8[0]] : Array.from(u8);
  // Flip the sign bit of positives, all bits of negatives: IEEE-754 then sorts as unsigned integers.
  if (b[0] & 0x80) for (let i = 0; i < 8; i++) b[i] = ~b[i] & 0xff;
  else b[0] |= 0x80;
  // NaN takes the all-zero slot; -Infinity (0x000f...) stays above it.
  return String.fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]);
}

function utf8(s: string): string {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.from(s, 'utf8').toString('latin1');
  return s;
}

/** Escapes 0 and 1 so the 0 terminator keeps the code prefix-free. */
function encodeString(str: string): string {
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
  const rank = typeRank(v);
  return typeChar(rank) + encodeBody(v, rank);
}

export function complement(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += String.fromCharCode(0xff - s.charCodeAt(i));
  return out;
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
