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

/** The upper bound of a prefix range: every string starting with `prefix` sorts below it. */
export const PREFIX_END = '\uffff';

/** Index keys stay bounded; longer texts are still matched by prefix on their first part. */
export const MAX_INDEXED_STRING = 256;

export function truncate(value: string, max = MAX_INDEXED_STRING): string {
  return value.length > max ? value.slice(0, max) : value;
}
