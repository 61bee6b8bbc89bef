/** FHIR id: 1-64 of [A-Za-z0-9-.] (R4 datatypes, id). */
const ID = /^[A-Za-z0-9\-.]{1,64}$/;

/**
 * `.` and `..` (any id of dots only) are the path segments every URL normaliser removes: `Patient/..` is read as
 * the base URL, so a resource stored under such an id could never be reached again. Refused wherever an id is
 * accepted.
 */
export function isDotsOnly(id: string): boolean {
  return /^\.+$/.test(id);
}

export function isValidId(id: string): boolean {
  return ID.test(id) && !isDotsOnly(id);
}

export const DOTS_ONLY_MESSAGE = 'An id made only of dots (".", "..") is not allowed: URLs normalise it away';
