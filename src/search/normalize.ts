/**
 * String normalisation for search: FHIR string search is case- and accent-insensitive, so values are stored and
 * searched lower-cased with combining marks removed (NFD then strip), e.g. "Müller" and "MULLER" both -> "muller".
 */
export function normalizeString(value: string): string {
  return value.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** Escapes every character with a meaning in a regular expression, so user text is matched literally. */
export function escapeRegex(value: string): string {
  return value.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

const MAX_CODE_POINT = 0x10ffff;

/**
 * The exclusive upper bound of the strings starting with `prefix`, in MongoDB's order (UTF-8 bytes, which is
 * code-point order; the embedded engine compares the same way), or undefined when no string is above them all.
 * Appending '\uffff' is not a bound: "li\u{2000B}" sorts above "li\uffff". Raising the last code point by one is:
 * every continuation of `prefix` sorts below it. The prefix is first made well-formed as the driver sends it (a
 * lone surrogate becomes U+FFFD), and the raised code point skips the surrogates, which UTF-8 cannot carry.
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const points = [...Buffer.from(prefix, 'utf8').toString('utf8')].map((c) => c.codePointAt(0)!);
  while (points.length && points[points.length - 1] === MAX_CODE_POINT) points.pop();
  if (!points.length) return undefined;
  const last = points.pop()! + 1;
  points.push(last === 0xd800 ? 0xe000 : last);
  return String.fromCodePoint(...points);
}

/** The condition on a string field for "starts with `prefix`", usable by an index as one range. */
export function prefixRange(prefix: string): Record<string, string> {
  const end = prefixUpperBound(prefix);
  return end === undefined ? { $gte: prefix } : { $gte: prefix, $lt: end };
}

/** Index keys stay bounded; longer texts are still matched by prefix on their first part. */
export const MAX_INDEXED_STRING = 256;

export function truncate(value: string, max = MAX_INDEXED_STRING): string {
  return value.length > max ? value.slice(0, max) : value;
}
