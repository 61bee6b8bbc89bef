import type { AuditInput } from '../audit';
import type { CompletedRequest } from '../router/types';

/** The URL as sent, split like a FHIR request's: its path below the /fhir mount, and the query string. */
function pathAndQuery(rawUrl: string): { path: string; query?: string } {
  let url: URL;
  try {
    url = new URL(rawUrl, 'http://local');
  } catch {
    url = new URL('http://local');
    url.pathname = '/(unparsable URL)';
  }
  return { path: url.pathname.replace(/^\/fhir(?:\/|$)/, ''), query: url.search ? url.search.slice(1) : undefined };
}

/**
 * One completed request as the audit trail's input: the interaction the route table found it to be, the patients
 * and resources the repository actually handed out or changed (its access trace), who asked, and the outcome.
 */
export function auditInputFor(done: CompletedRequest): AuditInput {
  const req = done.req;
  const route = req?.route;
  if (!route) {
    return {
      // Refused before it reached a route: a 401, or the throttle's 429 (the only 429 raised this early, and free
      // for an attacker to repeat), is a failed login, which the trail aggregates instead of writing each. Other
      // refusals (no such route, a method or media type not served) keep the URL as text only: it names no
      // resource the route table recognised.
      interaction: !req && (done.status === 401 || done.status === 429) ? 'authenticate' : 'operation',
      status: done.status,
      remoteAddress: done.remoteAddress,
      outcomeDescription: done.error,
      policy: req?.policy,
      requestId: done.requestId,
      ...pathAndQuery(done.url),
    };
  }
  if (route.interaction === 'token') {
    const token = req.trace?.tokenRequest;
    return {
      ...auditInputForToken({ status: done.status, clientId: token?.clientId, refusal: token?.refusal ?? done.error }, done.remoteAddress),
      requestId: done.requestId,
    };
  }
  const query = req.query.length ? new URLSearchParams(req.query).toString() : undefined;
  return {
    interaction: route.interaction,
    resourceType: route.resourceType,
    id: route.id,
    versionId: route.versionId,
    operation: route.operation,
    patientIds: req.trace ? [...req.trace.patients] : undefined,
    resources: req.trace ? [...req.trace.resources] : undefined,
    exportJob: req.trace?.exportJob,
    lifecycle: req.trace?.lifecycle,
    query,
    status: done.status,
    outcomeDescription: done.error,
    policy: req.policy,
    remoteAddress: done.remoteAddress,
    requestId: done.requestId,
  };
}

/** One answer of the built-in token endpoint as the audit trail's input: the client it claimed, and its outcome. */
export function auditInputForToken(result: { status: number; clientId?: string; refusal?: string }, remoteAddress: string | undefined): AuditInput {
  return { interaction: 'token', status: result.status, clientId: result.clientId, remoteAddress, outcomeDescription: result.refusal };
}
