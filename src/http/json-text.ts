import { badRequest } from '../errors/operation-outcome-error';

/**
 * Checks on JSON request text that `JSON.parse` cannot make, done in one pass over the characters before it
 * parses (so a hostile body is refused before it costs memory) and one cheap count after:
 *  - nesting, counted as FHIR nests: each object is one level (an element, a resource), an array is none, as it
 *    only holds an element's repetitions; an array directly inside an array (which FHIR JSON never has) counts;
 *  - strings longer than R4 allows, except in elements whose type has no limit (base64Binary, xhtml);
 *  - duplicate keys, which `JSON.parse` resolves silently by keeping the last: the number of members in the text
 *    (each `:` outside a string is one) is compared with the number of keys in the parsed value, and only a
 *    mismatch pays for finding which key it is.
 */

export interface JsonTextLimits {
  /** Deepest nesting allowed, counted as above. */
  maxNesting: number;
  /** Longest string value allowed, in characters of the JSON text (escapes included). */
  maxStringChars: number;
  /** Keys whose values may be longer (the names of base64Binary and xhtml elements). */
  unlimitedKeys: () => ReadonlySet<string>;
}

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_OBJECT = 123;
const CLOSE_OBJECT = 125;
const OPEN_ARRAY = 91;
const CLOSE_ARRAY = 93;
const COLON = 58;
const COMMA = 44;
const OBJECT = 1;
const ARRAY = 2;

/** Index of the quote that ends the JSON string starting at `start` (escapes honoured), or the text's length. */
function closingQuote(text: string, start: number): number {
  let j = start;
  for (; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === BACKSLASH) j++;
    else if (c === QUOTE) break;
  }
  return j;
}

/** The decoded text of the JSON string between the quotes at `start - 1` and `end`. */
function stringAt(text: string, start: number, end: number): string {
  const raw = text.slice(start, end);
  return raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
}

/**
 * Scans `text` (already known to be at most the body limit) and returns the number of object members it holds.
 * Throws 400 for nesting or a string past the limits. Malformed JSON is left to `JSON.parse` to describe.
 */
export function scanJsonText(text: string, limits: JsonTextLimits): number {
  const { maxNesting, maxStringChars } = limits;
  // Container kinds, innermost last; with at most one uncounted array per counted level, 2n + 2 entries suffice.
  const kinds = new Uint8Array(2 * maxNesting + 2);
  // Per object on the stack: where its current key starts and ends in the text.
  const keyStart = new Int32Array(kinds.length);
  const keyEnd = new Int32Array(kinds.length);
  let top = -1;
  let nesting = 0;
  let members = 0;
  let afterKeyPosition = false; // the last structural character was `{` or `,` inside an object
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === QUOTE) {
      const start = i + 1;
      const j = closingQuote(text, start);
      if (top >= 0 && kinds[top] === OBJECT && afterKeyPosition) {
        keyStart[top] = start;
        keyEnd[top] = j;
      } else if (j - start > maxStringChars) {
        checkLongString(text, start, j, kinds, keyStart, keyEnd, top, limits);
      }
      afterKeyPosition = false;
      i = j;
    } else if (ch === OPEN_OBJECT || ch === OPEN_ARRAY) {
      const counts = ch === OPEN_OBJECT || top < 0 || kinds[top] === ARRAY;
      if (counts && ++nesting > maxNesting) {
        throw badRequest(`The JSON body nests deeper than ${maxNesting} levels (objects, such as elements and resources, count; arrays do not)`);
      }
      kinds[++top] = ch === OPEN_OBJECT ? OBJECT : ARRAY;
      keyStart[top] = -1;
      afterKeyPosition = ch === OPEN_OBJECT;
    } else if (ch === CLOSE_OBJECT || ch === CLOSE_ARRAY) {
      if (top < 0) break; // malformed: JSON.parse reports it
      const kind = kinds[top--];
      if (kind === OBJECT || top < 0 || kinds[top] === ARRAY) nesting--;
      afterKeyPosition = false;
    } else if (ch === COLON) {
      members++;
      afterKeyPosition = false;
    } else if (ch === COMMA) {
      afterKeyPosition = top >= 0 && kinds[top] === OBJECT;
    }
  }
  return members;
}

/** Refuses a long string unless the key it belongs to (that of the nearest enclosing object) may hold one. */
function checkLongString(
  text: string,
  start: number,
  end: number,
  kinds: Uint8Array,
  keyStart: Int32Array,
  keyEnd: Int32Array,
  top: number,
  limits: JsonTextLimits,
): void {
  let level = top;
  while (level >= 0 && kinds[level] !== OBJECT) level--;
  const key = level >= 0 && keyStart[level] >= 0 ? stringAt(text, keyStart[level], keyEnd[level]) : '';
  if (limits.unlimitedKeys().has(key)) return;
  // Escapes make the text longer than the value: decode before refusing what might be within the limit.
  if (stringAt(text, start, end).length <= limits.maxStringChars) return;
  throw badRequest(`The value of '${key}' is longer than the ${limits.maxStringChars} characters a FHIR string may have`);
}

/** The number of keys of every object in a parsed JSON value. */
export function countKeys(value: unknown): number {
  let count = 0;
  const pending: unknown[] = [value];
  while (pending.length) {
    const v = pending.pop();
    if (typeof v !== 'object' || v === null) continue;
    if (Array.isArray(v)) {
      for (const item of v) if (typeof item === 'object' && item !== null) pending.push(item);
      continue;
    }
    for (const k in v) {
      count++;
      const item = (v as Record<string, unknown>)[k];
      if (typeof item === 'object' && item !== null) pending.push(item);
    }
  }
  return count;
}

/** The first key that appears twice in one object of `text` (well-formed JSON), for the error message. */
export function firstDuplicateKey(text: string): string | undefined {
  const objects: Array<Set<string> | null> = [];
  let afterKeyPosition = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === QUOTE) {
      const start = i + 1;
      const j = closingQuote(text, start);
      const keys = objects[objects.length - 1];
      if (keys && afterKeyPosition) {
        const key = stringAt(text, start, j);
        if (keys.has(key)) return key;
        keys.add(key);
      }
      afterKeyPosition = false;
      i = j;
    } else if (ch === OPEN_OBJECT || ch === OPEN_ARRAY) {
      objects.push(ch === OPEN_OBJECT ? new Set() : null);
      afterKeyPosition = ch === OPEN_OBJECT;
    } else if (ch === CLOSE_OBJECT || ch === CLOSE_ARRAY) {
      objects.pop();
      afterKeyPosition = false;
    } else if (ch === COMMA) {
      afterKeyPosition = objects[objects.length - 1] != null;
    } else if (ch === COLON) {
      afterKeyPosition = false;
    }
  }
  return undefined;
}
