import type { Request, Response, NextFunction } from 'express';
import type { Logger } from 'pino';

/**
 * Search values are often patient details (names, birth dates, identifiers): logs keep the parameter names only.
 * The audit trail, not the log, records what was asked.
 */
export function redactQuery(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const names = [...new URLSearchParams(url.slice(q + 1)).keys()];
  return `${url.slice(0, q)}?${names.map((n) => `${n}=…`).join('&')}`;
}

/**
 * One JSON line per request, written when its response has finished (or its connection closed first):
 * `{requestId, req: {method, url}, res: {statusCode}, responseTime, msg: 'request completed'}`, at `error` level with
 * `err` and 'request errored' for a 5xx. The line pino-http wrote, without the two child loggers and the request
 * serialisation it made for every request up front.
 */
export function requestLog(logger: Logger): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    const started = Date.now();
    // Set by requestIds (request-id.ts), which runs first; the logger's mixin adds it to lines logged during the
    // request, but this one is written from a response event, outside the request's async context.
    const requestId = res.locals.requestId as string | undefined;
    const done = (err?: unknown) => {
      res.off('finish', done);
      res.off('close', done);
      res.off('error', done);
      const line = {
        requestId,
        req: { method: req.method, url: redactQuery(req.originalUrl ?? req.url) },
        res: { statusCode: res.statusCode },
        responseTime: Date.now() - started,
      };
      if (err || res.statusCode >= 500) {
        logger.error({ ...line, err: err ?? new Error(`failed with status code ${res.statusCode}`) }, 'request errored');
      } else logger.info(line, 'request completed');
    };
    res.on('finish', done);
    res.on('close', done);
    res.on('error', done);
    next();
  };
}
