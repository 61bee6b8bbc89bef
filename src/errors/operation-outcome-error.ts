import type { OperationOutcome, OperationOutcomeIssue } from 'fhir/r4';

export type IssueSeverity = OperationOutcomeIssue['severity'];
export type IssueCode = OperationOutcomeIssue['code'];

/**
 * The one error type the server throws for anything that should reach the client as an OperationOutcome.
 * Every layer (router, repository, search, validation, auth) throws this; `toResponse` in the HTTP adapter is the
 * only place that turns it into a status line and body.
 */
export class OperationOutcomeError extends Error {
  readonly status: number;
  readonly issues: OperationOutcomeIssue[];
  /** Extra response headers (e.g. WWW-Authenticate on 401, Allow on 405). */
  readonly headers: Record<string, string>;

  constructor(status: number, issues: OperationOutcomeIssue[], headers: Record<string, string> = {}) {
    super(issues.map((i) => i.diagnostics ?? i.details?.text ?? i.code).join('; '));
    this.name = 'OperationOutcomeError';
    this.status = status;
    this.issues = issues;
    this.headers = headers;
  }

  get outcome(): OperationOutcome {
    return { resourceType: 'OperationOutcome', issue: this.issues };
  }
}

export function issue(
  code: IssueCode,
  diagnostics: string,
  expression?: string | string[],
  severity: IssueSeverity = 'error',
): OperationOutcomeIssue {
  const out: OperationOutcomeIssue = { severity, code, diagnostics };
  if (expression !== undefined) out.expression = Array.isArray(expression) ? expression : [expression];
  return out;
}

export function outcome(issues: OperationOutcomeIssue[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: issues };
}

export const badRequest = (diagnostics: string, expression?: string | string[]) =>
  new OperationOutcomeError(400, [issue('invalid', diagnostics, expression)]);
export const notFound = (diagnostics: string) => new OperationOutcomeError(404, [issue('not-found', diagnostics)]);
export const gone = (diagnostics: string) => new OperationOutcomeError(410, [issue('deleted', diagnostics)]);
export const conflict = (diagnostics: string) => new OperationOutcomeError(409, [issue('conflict', diagnostics)]);
export const preconditionFailed = (diagnostics: string) =>
  new OperationOutcomeError(412, [issue('conflict', diagnostics)]);
export const unprocessable = (diagnostics: string, expression?: string | string[]) =>
  new OperationOutcomeError(422, [issue('processing', diagnostics, expression)]);
export const notSupported = (diagnostics: string, allow?: string[]) =>
  new OperationOutcomeError(405, [issue('not-supported', diagnostics)], allow ? { Allow: allow.join(', ') } : {});
export const unauthorized = (diagnostics: string, wwwAuthenticate = 'Bearer') =>
  new OperationOutcomeError(401, [issue('login', diagnostics)], { 'WWW-Authenticate': wwwAuthenticate });
export const forbidden = (diagnostics: string) => new OperationOutcomeError(403, [issue('forbidden', diagnostics)]);
export const tooLarge = (diagnostics: string) => new OperationOutcomeError(413, [issue('too-costly', diagnostics)]);
export const unsupportedMediaType = (diagnostics: string) =>
  new OperationOutcomeError(415, [issue('not-supported', diagnostics)]);

export function isOperationOutcomeError(err: unknown): err is OperationOutcomeError {
  return err instanceof OperationOutcomeError;
}
