import cors from 'cors';
import type { RequestHandler } from 'express';
import helmet from 'helmet';
import type { CorsOrigins } from '../config';

export type { CorsOrigins };

/**
 * Response headers every answer carries (the `helmet` and `cors` packages, the Express project's and the
 * community's standard for them):
 * - security headers for an API that serves health data: `X-Content-Type-Options: nosniff`, a Content-Security-Policy
 *   that lets nothing load or frame a response, no referrer, and `Cache-Control: no-store` so no browser or proxy
 *   keeps a copy of PHI (RFC 6749 requires it of token responses too);
 * - CORS for browser SMART apps when origins are configured: preflights answered, the headers FHIR clients read
 *   (Location, ETag, Content-Location, X-Progress, ...) exposed. Tokens travel in the Authorization header, never in
 *   cookies, so no credentials mode is offered.
 */
export function securityHeaders(origins: CorsOrigins): RequestHandler[] {
  const handlers: RequestHandler[] = [
    helmet({
      contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
      referrerPolicy: { policy: 'no-referrer' },
    }),
    (_req, res, next) => {
      res.setHeader('Cache-Control', 'no-store');
      next();
    },
  ];
  if (origins === '*' || origins.length > 0) {
    handlers.unshift(
      cors({
        origin: origins === '*' ? '*' : [...origins],
        methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
        exposedHeaders: EXPOSED_HEADERS,
        maxAge: 600,
      }),
    );
  }
  return handlers;
}

const EXPOSED_HEADERS = ['Location', 'Content-Location', 'ETag', 'Last-Modified', 'X-Progress', 'Retry-After', 'Expires', 'WWW-Authenticate'];
