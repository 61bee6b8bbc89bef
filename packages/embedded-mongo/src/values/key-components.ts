/**
 * Reading compound keys back: where each component of a key written by key-encoding.ts ends. An index scan uses it
 * to test the fields after its range (or after an unbounded field) against their bounds on the key alone, so
 * documents whose keys cannot match are never fetched.
 */
import { Rank } from './bson-order';

/** Inclusive bounds on one component's encoding. */
export interface ComponentInterval {
  lo: string;
  hi: string;
}

export interface ComponentFilter {
  /** Position of the component in the compound key. */
  field: number;
  intervals: ComponentInterval[];
}

/** End (exclusive) of an escaped, 0-terminated string starting at `i`. `flip` is 0xff inside a descending component. */
function stringEnd(key: string, i: number, flip: number): number {
  while (i < key.length) {
    const c = key.charCodeAt(i) ^ flip;
    if (c === 0) return i + 1;
    i += c === 1 ? 2 : 1;
  }
  return key.length;
}

function bodyEnd(key: string, i: number, rank: number, flip: number): number {
  switch (rank) {
    case Rank.Number:
    case Rank.Date:
    case Rank.Timestamp:
      return i + 8;
    case Rank.String:
      return stringEnd(key, i, flip);
    case Rank.Object:
      // (type, field name, value)* then 0.
      while (i < key.length) {
        const c = key.charCodeAt(i) ^ flip;
        if (c === 0) return i + 1;
        i = bodyEnd(key, stringEnd(key, i + 1, flip), c - 0x10, flip);
      }
      return key.length;
    case Rank.Array:
      while (i < key.length) {
        const c = key.charCodeAt(i) ^ flip;
        if (c === 0) return i + 1;
        i = bodyEnd(key, i + 1, c - 0x10, flip);
      }
      return key.length;
    case Rank.Binary: {
      const len =
        (((key.charCodeAt(i) ^ flip) << 24) | ((key.charCodeAt(i + 1) ^ flip) << 16) | ((key.charCodeAt(i + 2) ^ flip) << 8) | (key.charCodeAt(i + 3) ^ flip)) >>> 0;
      return i + 5 + len;
    }
    case Rank.ObjectId:
      return i + 24;
    case Rank.Boolean:
      return i + 1;
    case Rank.RegExp:
      return stringEnd(key, stringEnd(key, i, flip), flip);
    default:
      // Null, MinKey, MaxKey: the type character is the whole encoding.
      return i;
  }
}

/** End (exclusive) of the key component starting at `pos`. */
export function componentEnd(key: string, pos: number, descending: boolean): number {
  const flip = descending ? 0xff : 0;
  return bodyEnd(key, pos + 1, (key.charCodeAt(pos) ^ flip) - 0x10, flip);
}

/** Splits a compound key into its components' encodings. */
export function splitKey(key: string, descending: boolean[]): string[] {
  const out: string[] = [];
  let pos = 0;
  for (const desc of descending) {
    const end = componentEnd(key, pos, desc);
    out.push(key.slice(pos, end));
    pos = end;
  }
  return out;
}

/** A test of whole keys: every filtered component lies within one of its intervals. */
export function componentTest(filters: ComponentFilter[], descending: boolean[]): (key: string) => boolean {
  const last = Math.max(...filters.map((f) => f.field));
  const byField: Array<ComponentInterval[] | undefined> = [];
  for (const f of filters) byField[f.field] = f.intervals;
  return (key) => {
    let pos = 0;
    for (let j = 0; j <= last; j++) {
      const end = componentEnd(key, pos, descending[j]);
      const intervals = byField[j];
      if (intervals !== undefined) {
        const c = key.slice(pos, end);
        if (!intervals.some((i) => i.lo <= c && c <= i.hi)) return false;
      }
      pos = end;
    }
    return true;
  };
}
