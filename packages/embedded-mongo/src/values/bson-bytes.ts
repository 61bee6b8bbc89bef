/**
 * Reading BSON in place, without deserialising it: where elements end, a document's top-level elements, where an
 * array's documents lie, and whether bytes are exactly what BSON.serialize would produce for the value the wire
 * deserialises from them.
 */

/** End of the value of type `type` starting at `at`, or -1 for a type this walker does not know. */
export function valueEnd(buf: Buffer, type: number, at: number): number {
  switch (type) {
    case 0x01:
    case 0x09:
    case 0x11:
    case 0x12:
      return at + 8;
    case 0x02:
    case 0x0d:
    case 0x0e:
      return at + 4 + buf.readInt32LE(at);
    case 0x03:
    case 0x04:
    case 0x0f:
      return at + buf.readInt32LE(at);
    case 0x05:
      return at + 5 + buf.readInt32LE(at);
    case 0x06:
    case 0x0a:
    case 0x7f:
    case 0xff:
      return at;
    case 0x07:
      return at + 12;
    case 0x08:
      return at + 1;
    case 0x0b:
      return buf.indexOf(0, buf.indexOf(0, at) + 1) + 1;
    case 0x0c:
      return at + 4 + buf.readInt32LE(at) + 12;
    case 0x10:
      return at + 4;
    case 0x13:
      return at + 16;
    default:
      return -1;
  }
}

/**
 * The top-level elements of the document `doc` (type, name and value bytes; views into `doc`) by name, or undefined
 * when one has a type this walker does not know.
 */
export function elementsOf(doc: Buffer): Map<string, Buffer> | undefined {
  const out = new Map<string, Buffer>();
  const end = doc.readInt32LE(0) - 1;
  for (let p = 4; p < end;) {
    const keyEnd = doc.indexOf(0, p + 1);
    const next = valueEnd(doc, doc[p], keyEnd + 1);
    if (next < 0) return undefined;
    out.set(doc.toString('utf8', p + 1, keyEnd), doc.subarray(p, next));
    p = next;
  }
  return out;
}

/**
 * The bytes of each document in the top-level array `name` of the document `doc`; undefined when there is no such
 * array or an element is not a document.
 */
export function arrayDocuments(doc: Buffer, name: string): Buffer[] | undefined {
  const array = elementsOf(doc)?.get(name);
  if (array?.[0] !== 0x04) return undefined;
  const at = array.indexOf(0, 1) + 1;
  const stop = at + array.readInt32LE(at) - 1;
  const out: Buffer[] = [];
  for (let q = at + 4; q < stop;) {
    if (array[q] !== 0x03) return undefined;
    const start = array.indexOf(0, q + 1) + 1;
    q = start + array.readInt32LE(start);
    out.push(array.subarray(start, q));
  }
  return out;
}

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;
/** Dates go through Long -> number -> Date: exact only within ±8.64e15 ms, which this high word bounds. */
const DATE_HIGH_LIMIT = 2011656;
/** Key hashes of the documents being walked (one region per nesting level), for spotting repeated keys. */
const keyHashes = new Int32Array(4096);
/** A document with more keys falls back to serialisation rather than a quadratic duplicate check. */
const MAX_KEYS = 256;

/**
 * Whether `doc` is byte for byte what BSON.serialize gives for the value the wire deserialiser (promoteValues,
 * promoteLongs, bsonRegExp, UTF-8 validated strings) makes of it. Conservative: anything not certain to come back
 * the same is refused — int64 and integral doubles (they come back as int32 or double), undefined, symbols,
 * DBPointers, code with scope, unsorted regex flags, non-ASCII or `$` keys (DBRefs), keys starting with
 * a digit (objects put integer keys first), array keys other than 0, 1, 2..., repeated keys, and dates outside the
 * range a Date holds. Only bytes the deserialiser has already accepted may be passed.
 */
export function isCanonicalDocument(doc: Uint8Array): boolean {
  const buf = Buffer.isBuffer(doc) ? doc : Buffer.from(doc.buffer, doc.byteOffset, doc.byteLength);
  try {
    return canonical(buf, 0, false, 0);
  } catch {
    return false; // nesting deeper than the stack: refuse rather than fail the insert
  }
}

function canonical(buf: Buffer, at: number, isArray: boolean, base: number): boolean {
  const end = at + buf.readInt32LE(at) - 1;
  let p = at + 4;
  let top = base;
  let index = 0;
  while (p < end) {
    const type = buf[p++];
    if (isArray) {
      p = arrayKeyEnd(buf, p, index++);
      if (p < 0) return false;
    } else {
      const first = buf[p];
      if (first === 0x24 || (first >= 0x30 && first <= 0x39)) return false;
      let h = 0;
      for (let b = buf[p]; b !== 0; b = buf[++p]) {
        if (b >= 0x80) return false;
        h = (Math.imul(h, 31) + b) | 0;
      }
      p++;
      if (top - base >= MAX_KEYS || top >= keyHashes.length) return false;
      for (let i = base; i < top; i++) if (keyHashes[i] === h) return false;
      keyHashes[top++] = h;
    }
    switch (type) {
      case 0x01: {
        const v = buf.readDoubleLE(p);
        if (v !== v || (Number.isSafeInteger(v) && v >= INT32_MIN && v <= INT32_MAX && !Object.is(v, -0))) return false;
        break;
      }
      case 0x03:
      case 0x04:
        if (!canonical(buf, p, type === 0x04, top)) return false;
        break;
      case 0x09: {
        const high = buf.readInt32LE(p + 4);
        if (high > DATE_HIGH_LIMIT || high < -DATE_HIGH_LIMIT) return false;
        break;
      }
      case 0x0b:
        if (!regexCanonical(buf, p)) return false;
        break;
      case 0x02:
      case 0x05:
      case 0x07:
      case 0x08:
      case 0x0a:
      case 0x0d:
      case 0x10:
      case 0x11:
      case 0x13:
      case 0x7f:
      case 0xff:
        break;
      default:
        return false;
    }
    p = valueEnd(buf, type, p);
  }
  return p === end;
}

/** End of an array element's key when it is the decimal `index`, else -1. */
function arrayKeyEnd(buf: Buffer, p: number, index: number): number {
  let digits = 1;
  for (let n = index; n >= 10; n = Math.floor(n / 10)) digits++;
  if (buf[p + digits] !== 0) return -1;
  for (let k = digits - 1, n = index; k >= 0; k--, n = Math.floor(n / 10)) if (buf[p + k] !== 0x30 + (n % 10)) return -1;
  return p + digits + 1;
}

/** ASCII pattern and flags in strictly increasing order (BSONRegExp sorts them). */
function regexCanonical(buf: Buffer, p: number): boolean {
  let b = buf[p];
  for (; b !== 0; b = buf[++p]) if (b >= 0x80) return false;
  let prev = 0;
  for (b = buf[++p]; b !== 0; b = buf[++p]) {
    if (b >= 0x80 || b <= prev) return false;
    prev = b;
  }
  return true;
}
