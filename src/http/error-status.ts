import type { ErrorCategory, ErrorFacts } from '../errors/operation-outcome-error';

/**
 * The HTTP status of each error category: the one place a lower layer's failure becomes a status number, for
 * responses (errorResponse) and for a batch entry's response.status alike.
 */
export const CATEGORY_STATUS: Readonly<Record<ErrorCategory, number>> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  'not-found': 404,
  'not-supported': 405,
  'not-acceptable': 406,
  conflict: 409,
  gone: 410,
  'precondition-failed': 412,
  'too-large': 413,
  'unsupported-media-type': 415,
  'range-not-satisfiable': 416,
  unprocessable: 422,
  'too-many-requests': 429,
  internal: 500,
  unavailable: 503,
};

/**
 * The response headers an error's facts become (Allow on 405, WWW-Authenticate on 401, Retry-After, the
 * unsatisfied-range form of Content-Range on 416).
 */
export function errorHeaders(facts: ErrorFacts): Record<string, string> {
  const headers: Record<string, string> = {};
  if (facts.allow) headers.Allow = facts.allow.join(', ');
  if (facts.challenge !== undefined) headers['WWW-Authenticate'] = facts.challenge;
  if (facts.retryAfterSeconds !== undefined) headers['Retry-After'] = String(facts.retryAfterSeconds);
  if (facts.completeLength !== undefined) headers['Content-Range'] = `bytes */${facts.completeLength}`;
  return headers;
}
