/**
 * Rules on primitive values that the R4 JSON schema states as patterns ajv cannot apply (a `pattern` is ignored on
 * a JSON number) or does not state at all, added to the schema as keywords (see structure.ts `adjust`).
 */

/** Whole-number ranges of the integer types (R4 datatypes: integer is a signed 32-bit number). */
export const INTEGER_RANGES: Record<string, readonly [number, number]> = {
  integer: [-2147483648, 2147483647],
  unsignedInt: [0, 2147483647],
  positiveInt: [1, 2147483647],
};

export function isIntegerInRange(value: number, [min, max]: readonly [number, number]): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

/**
 * base64Binary (RFC 4648 with padding; XML-style whitespace between characters is tolerated, as R4's schema does).
 * Checked by hand rather than with the schema's regex, whose nested `\s*` quantifiers backtrack exponentially on
 * a long value with spaces that fails at its end.
 */
export function isBase64(value: string): boolean {
  const compact = /\s/.test(value) ? value.replace(/\s+/g, '') : value;
  return compact.length > 0 && compact.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(compact);
}

/** R4 datatypes: "Strings SHALL NOT exceed 1MB in size" (string and the types derived from it). */
export const MAX_STRING_BYTES = 1024 * 1024;
export const SIZE_LIMITED_TYPES = ['string', 'markdown', 'code', 'id'];

export function withinStringLimit(value: string): boolean {
  // A UTF-8 character is at most 3 bytes per UTF-16 unit: most strings are settled without counting bytes.
  if (value.length * 3 <= MAX_STRING_BYTES) return true;
  return value.length <= MAX_STRING_BYTES && Buffer.byteLength(value, 'utf8') <= MAX_STRING_BYTES;
}

const XHTML_NS = 'http://www.w3.org/1999/xhtml';
/** The start tag of the narrative's root element: a `div` in the XHTML namespace (R4 narrative, "xhtml"). */
const ROOT_DIV = /^\s*<div(\s[^>]*)?\/?>/;
const XMLNS = /\sxmlns\s*=\s*(["'])(.*?)\1/;

/** Link attributes of the narrative and their values. */
const LINK_ATTRIBUTE = /\s(?:href|src|xlink:href)\s*=\s*(["'])(.*?)\1/gis;
/** Schemes that run code when a browser follows or loads them; `data:` is allowed for images only. */
const ACTIVE_SCHEME = /^(?:javascript|vbscript|data(?!:image\/(?:png|gif|jpeg|webp)[;,])):/;

/** What a browser would read as the link's scheme: character references decoded, controls and spaces dropped. */
function linkScheme(raw: string): string {
  return raw
    .replace(/&#x([0-9a-f]+);?/gi, (_m, hex: string) => String.fromCodePoint(Number.parseInt(hex, 16) % 0x110000))
    .replace(/&#(\d+);?/g, (_m, dec: string) => String.fromCodePoint(Number(dec) % 0x110000))
    .replace(/&colon;/gi, ':')
    .replace(/[\u0000-\u0020]/g, '')
    .toLowerCase();
}

/**
 * The part of the narrative rules that fhirpath's `htmlChecks()` (txt-1, txt-2, which hold the allowed element
 * and attribute lists) leaves open: the root is a `div` that declares the XHTML namespace, and no link runs code
 * (`javascript:` in an `a href` passes txt-1, yet every application that shows the narrative would run it).
 */
export function narrativeRootProblem(value: string): string | undefined {
  const root = ROOT_DIV.exec(value);
  if (!root) return 'The narrative must be a single <div> element';
  const ns = XMLNS.exec(root[1] ?? '');
  if (!ns || ns[2] !== XHTML_NS) return `The narrative <div> must declare the XHTML namespace (xmlns="${XHTML_NS}")`;
  for (const [, , link] of value.matchAll(LINK_ATTRIBUTE)) {
    if (ACTIVE_SCHEME.test(linkScheme(link))) return 'A narrative link must not run code (javascript:, vbscript:, or data: other than an image)';
  }
  return undefined;
}
