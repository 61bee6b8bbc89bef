import type { TokenResponse } from '../auth/token-endpoint';
import { classify } from '../router/classify';
import type { CompletedRequest } from '../router/types';
import type { AuditInput } from './audit-input';

/** Interactions whose query string says what was asked for (recorded as the BALP query entity). */
const QUERIED = new Set(['search', 'history', 'operation', 'export']);

/**
 * The audit input for a finished FHIR request (`HttpDeps.onComplete`). The patients and resources are those the
 * repository actually handed out or changed (the request's AccessTrace), so includes and bundle entries are named
 * too. A request that never became a FHIR request failed authentication (401) or was malformed.
 */
export function auditInputFor(done: CompletedRequest): AuditInput {
  const common = { status: done.status, outcomeDescription: done.error, remoteAddress: done.remoteAddress };
  const req = done.req;
  if (!req) {
    if (done.status === 401) return { ...common, interaction: 'authenticate' };
    return { ...common, interaction: 'operation', query: done.url.includes('?') ? done.url.slice(done.url.indexOf('?') + 1) : '' };
  }
  const c = classify(req);
  const input: AuditInput = { ...common, ...c, policy: req.policy };
  if (QUERIED.has(c.interaction)) input.query = new URLSearchParams(req.query).toString();
  if (req.trace) {
    input.patientIds = [...req.trace.patients];
    input.resources = [...req.trace.resources];
  }
  return input;
}

/** The audit input for a request to the token endpoint: an access token issued, or refused. */
export function auditInputForToken(res: TokenResponse, remoteAddress?: string): AuditInput {
  const error = res.status === 200 ? undefined : `${String(res.body.error)}: ${String(res.body.error_description)}`;
  return { interaction: 'token', status: res.status, clientId: res.clientId, remoteAddress, outcomeDescription: error };
}
