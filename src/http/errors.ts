import type { OperationOutcome } from 'fhir/r4';
import type { Logger } from 'pino';
import { OperationOutcomeError, issue, outcome, tooLarge } from '../errors/operation-outcome-error';
import { CATEGORY_STATUS, errorHeaders } from './error-status';

/**
 * The one place errors become HTTP responses. OperationOutcomeErrors answer with their category's status and the
 * headers of their facts; body-parser's own errors are mapped; anything else is a server fault: logged with its
 * stack, answered with a generic 500 that reveals nothing internal.
 */
export function errorResponse(err: unknown, log?: Logger): { status: number; headers: Record<string, string>; body: OperationOutcome } {
  if (err instanceof OperationOutcomeError) {
    return { status: CATEGORY_STATUS[err.category], headers: errorHeaders(err.facts), body: err.outcome };
  }
  const e = err as { type?: string; status?: number; message?: string };
  if (e?.type === 'entity.too.large') return errorResponse(tooLarge('The request body is too large'));
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return { status: e.status, headers: {}, body: outcome([issue('invalid', e.message ?? 'Bad request')]) };
  }
  log?.error({ err }, 'unhandled error');
  return errorResponse(new OperationOutcomeError('internal', [issue('exception', 'Internal server error')]));
}
