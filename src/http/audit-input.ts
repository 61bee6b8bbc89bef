import type { AuditInput } from '../audit';
import type { TokenResponse } from '../auth';
import { classify } from '../router/classify';
import type { CompletedRequest } from '../router/types';

/**
 * One completed request as the audit trail's input: the interaction in the spec's words, the patients and
 * resources the repository actually handed out or changed (its access trace), who asked, and the outcome.
 */
export function auditInputFor(done: CompletedRequest): AuditInput {
  const req = done.req;
  if (!req) {
    // The URL as sent, split like a FHIR request's (its path below the /fhir mount, and the query string).
    let url: URL;
    try {
      url = new URL(done.url, 'http://local');
    } catch {
      url = new URL('http://local');
      url.pathname = '/(unparsable URL)';
    }
    return {
      // Refused before it became a FHIR request: a 401, or the throttle's 429 (the only 429 raised this early, and
      // free for an attacker to repeat), is a failed login, which the trail aggregates instead of writing each.
      interaction: done.status === 401 || done.status === 429 ? 'authenticate' : 'operation',
      status: done.status,
      remoteAddress: done.remoteAddress,
      outcomeDescription: done.error,
      path: url.pathname.replace(/^\/fhir(?:\/|$)/, ''),
      query: url.search ? url.search.slice(1) : undefined,
    };
  }
  const c = classify(req);
  const query = req.query.length ? new URLSearchParams(req.query).toString() : undefined;
  return {
    interaction: c.interaction,
    resourceType: c.resourceType,
    id: c.id,
    versionId: c.versionId,
    operation: c.operation,
    patientIds: req.trace ? [...req.trace.patients] : undefined,
    resources: req.trace ? [...req.trace.resources] : undefined,
    exportJob: req.trace?.exportJob,
    query,
    status: done.status,
    outcomeDescription: done.error,
    policy: req.policy,
    remoteAddress: done.remoteAddress,
  };
}

/** One answer of the built-in token endpoint as the audit trail's input: the client it claimed, and its outcome. */
export function auditInputForToken(result: TokenResponse, remoteAddress: string | undefined): AuditInput {
  return {
    interaction: 'token',
    status: result.status,
    clientId: result.clientId,
    remoteAddress,
    outcomeDescription: result.status === 200 ? undefined : String(result.body.error_description ?? result.body.error ?? ''),
  };
}
