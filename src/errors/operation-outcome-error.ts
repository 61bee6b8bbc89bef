import type { OperationOutcome, OperationOutcomeIssue } from 'fhir/r4';

export type IssueSeverity = OperationOutcomeIssue['severity'];
export type IssueCode = OperationOutcomeIssue['code'];

/**
 * What kind of failure an OperationOutcomeError is, in the lower layers' words. The HTTP status each category
 * answers with is chosen at the edge, in one table (src/http/error-status.ts); the layers that throw never name a
 * status number.
 */
export type ErrorCategory =
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  | 'not-found'
  | 'not-supported'
  | 'not-acceptable'
  | 'conflict'
  | 'gone'
  | 'precondition-failed'
  | 'too-large'
  | 'unsupported-media-type'
  | 'range-not-satisfiable'
  | 'unprocessable'
  | 'too-many-requests'
  | 'internal'
  | 'unavailable';

/** The facts of an error the edge turns into response headers; each is given with the categories named. */
export interface ErrorFacts {
  /** not-supported: the methods the target does support. */
  readonly allow?: readonly string[];
  /** unauthenticated: the authentication challenge the client must answer (e.g. `Bearer realm="..."`). */
  readonly challenge?: string;
  /** too-many-requests, unavailable: how many seconds the client should wait before trying again. */
  readonly retryAfterSeconds?: number;
  /** range-not-satisfiable: the size in bytes of the whole representation the range fell outside of. */
  readonly completeLength?: number;
}

/**
 * The one error type the server throws for anything that should reach the client as an OperationOutcome.
 * Every layer (router, repository, search, validation, auth) throws this; `errorResponse` in the HTTP adapter is
 * the only place that turns it into a status line, headers and body.
 */
export class OperationOutcomeError extends Error {
  readonly category: ErrorCategory;
  readonly issues: OperationOutcomeIssue[];
  readonly facts: ErrorFacts;

  constructor(category: ErrorCategory, issues: OperationOutcomeIssue[], facts: ErrorFacts = {}) {
    super(issues.map((i) => i.diagnostics ?? i.details?.text ?? i.code).join('; '));
    this.name = 'OperationOutcomeError';
    this.category = category;
    this.issues = issues;
    this.facts = facts;
  }

  get outcome(): OperationOutcome {
    return { resourceType: 'OperationOutcome', issue: this.issues };
  }
}

export function issue(code: IssueCode, diagnostics: string, expression?: string | string[], severity: IssueSeverity = 'error'): OperationOutcomeIssue {
  const out: OperationOutcomeIssue = { severity, code, diagnostics };
  if (expression !== undefined) out.expression = Array.isArray(expression) ? expression : [expression];
  return out;
}

export function outcome(issues: OperationOutcomeIssue[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: issues };
}

export const badRequest = (diagnostics: string, expression?: string | string[]) => new OperationOutcomeError('invalid', [issue('invalid', diagnostics, expression)]);
export const notFound = (diagnostics: string) => new OperationOutcomeError('not-found', [issue('not-found', diagnostics)]);
export const gone = (diagnostics: string) => new OperationOutcomeError('gone', [issue('deleted', diagnostics)]);
export const conflict = (diagnostics: string) => new OperationOutcomeError('conflict', [issue('conflict', diagnostics)]);
export const preconditionFailed = (diagnostics: string) => new OperationOutcomeError('precondition-failed', [issue('conflict', diagnostics)]);
export const unprocessable = (diagnostics: string, expression?: string | string[]) =>
  new OperationOutcomeError('unprocessable', [issue('processing', diagnostics, expression)]);
export const notSupported = (diagnostics: string, allow?: string[]) =>
  new OperationOutcomeError('not-supported', [issue('not-supported', diagnostics)], allow ? { allow } : {});
export const unauthorized = (diagnostics: string, wwwAuthenticate = 'Bearer') =>
  new OperationOutcomeError('unauthenticated', [issue('login', diagnostics)], { challenge: wwwAuthenticate });
export const forbidden = (diagnostics: string) => new OperationOutcomeError('forbidden', [issue('forbidden', diagnostics)]);
export const tooLarge = (diagnostics: string) => new OperationOutcomeError('too-large', [issue('too-costly', diagnostics)]);
export const unsupportedMediaType = (diagnostics: string) => new OperationOutcomeError('unsupported-media-type', [issue('not-supported', diagnostics)]);
/** A byte range that lies wholly beyond the end of a file of `size` bytes. */
export const rangeNotSatisfiable = (diagnostics: string, size: number) =>
  new OperationOutcomeError('range-not-satisfiable', [issue('value', diagnostics)], { completeLength: size });
/** A transient failure of the server or of a service it depends on; `retryAfterSeconds` when it is known. */
export const unavailable = (diagnostics: string, retryAfterSeconds?: number) =>
  new OperationOutcomeError('unavailable', [issue('transient', diagnostics)], retryAfterSeconds === undefined ? {} : { retryAfterSeconds });

export function isOperationOutcomeError(err: unknown): err is OperationOutcomeError {
  return err instanceof OperationOutcomeError;
}
