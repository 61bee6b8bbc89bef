import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

/**
 * A caller's `X-Request-Id` is kept when it is a plausible id: up to 128 characters of letters, digits and
 * `._:-` (UUIDs, ULIDs, a load balancer's trace ids). Anything else (spaces, quotes, control characters, a
 * megabyte) would go into response headers, every log line and the audit trail: it is replaced by a new id.
 */
const ACCEPTED = /^[A-Za-z0-9._:-]{1,128}$/;

const context = new AsyncLocalStorage<string>();

/** The id of the request whose work is running now (its handler, its audit, its log lines), if any. */
export function currentRequestId(): string | undefined {
  return context.getStore();
}

/** The id a request goes by: the caller's `X-Request-Id` when acceptable, else a new UUID. */
export function requestIdOf(header: string | string[] | undefined): string {
  const given = Array.isArray(header) ? header[0] : header;
  return given !== undefined && ACCEPTED.test(given) ? given : randomUUID();
}

/**
 * Gives each request its id before anything else runs: returned as `X-Request-Id`, and current for everything done
 * on its behalf (pino's mixin puts it in every log line, the audit trail in the AuditEvent).
 */
export function requestIds() {
  return (req: Request, res: Response, next: NextFunction): void => {
    const id = requestIdOf(req.headers['x-request-id']);
    res.locals.requestId = id;
    res.setHeader('X-Request-Id', id);
    context.run(id, next);
  };
}

/** For pino's `mixin` option: `{requestId}` on every line logged while a request's work runs. */
export function requestIdMixin(): { requestId?: string } {
  const id = context.getStore();
  return id === undefined ? {} : { requestId: id };
}
