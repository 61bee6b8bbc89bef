import express, { type Request, type Response, type NextFunction } from 'express';
import type { Logger } from 'pino';
import { type AccessPolicy, anonymousPolicy } from '../auth/access-policy';
import type { CompletedRequest, FhirRequest, FhirResult, HttpMethod } from '../router/types';
import { parseBody, mediaType } from './body';
import { badRequest } from '../errors/operation-outcome-error';
import { errorResponse } from './errors';
import { setHeaders } from './header-text';
import { responseMediaType } from './format';
import { requestLog } from './request-log';
import { type CorsOrigins, securityHeaders } from './security-headers';

export interface HttpDeps {
  logger: Logger;
  bodyLimit: number;
  /** Path prefix of the FHIR API, e.g. '/fhir'. */
  mountPath: string;
  /** Turns the Authorization header into a policy, or throws 401. */
  authenticate(authorization: string | undefined, remoteAddress?: string): Promise<AccessPolicy>;
  handle(req: FhirRequest): Promise<FhirResult>;
  /** Called once per FHIR request after the response is decided (audit). */
  onComplete?(done: CompletedRequest): void;
  ready(): Promise<boolean>;
  /** Facts reported beside `/healthz`'s status (search's skipped parameters, say). */
  health?(): object;
  /** Browser origins CORS admits (none: no CORS headers, preflights refused). */
  corsOrigins: CorsOrigins;
  /** Routes mounted before the FHIR catch-all (SMART discovery, token endpoint, bulk files). */
  extraRoutes?(app: express.Express): void;
}

const METHODS = new Set<HttpMethod>(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * What a SMART client reads before it has a token: the CapabilityStatement (the SMART configuration is mounted
 * as an extra route). Served to anyone, without looking at the Authorization header, still logged and audited.
 */
function isPublic(method: HttpMethod, path: string): boolean {
  return (method === 'GET' || method === 'HEAD') && /^\/metadata\/?$/.test(path);
}

function decodePath(path: string): string {
  try {
    return decodeURIComponent(path).replace(/^\/+|\/+$/g, '');
  } catch {
    throw badRequest('The URL path is not valid percent-encoding');
  }
}

function pretty(req: Request): boolean {
  // The query parser set in createHttpApp makes req.query a URLSearchParams, not a plain object.
  return (req.query as unknown as URLSearchParams).get('_pretty') === 'true';
}

export function send(res: Response, req: Request, status: number, headers: Record<string, string>, body: FhirResult['body'], type = 'application/fhir+json'): void {
  res.status(status);
  setHeaders(res, headers);
  if (body === undefined || status === 304) {
    res.end();
    return;
  }
  let text: string;
  if ('json' in body) text = pretty(req) ? JSON.stringify(JSON.parse(body.json), null, 2) : body.json;
  else text = JSON.stringify(body, null, pretty(req) ? 2 : undefined);
  res.setHeader('Content-Type', `${type}; charset=utf-8`);
  if (req.method === 'HEAD') {
    res.setHeader('Content-Length', Buffer.byteLength(text));
    res.end();
  } else res.end(text);
}

/** Express only adapts HTTP: it builds a FhirRequest, hands it to the router and writes the FhirResult. */
export function createHttpApp(deps: HttpDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', (q: string) => new URLSearchParams(q));
  app.use(requestLog(deps.logger));
  app.use(securityHeaders(deps.corsOrigins));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', ...deps.health?.() });
  });
  app.get('/readyz', async (_req, res) => {
    const ok = await deps.ready();
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'store unreachable' });
  });
  deps.extraRoutes?.(app);

  const raw = express.raw({ type: () => true, limit: deps.bodyLimit });
  app.use(deps.mountPath, raw, async (req: Request, res: Response) => {
    let fhirReq: FhirRequest | undefined;
    let status = 500;
    let error: string | undefined;
    try {
      const search = new URLSearchParams(req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '');
      const type = responseMediaType(req.headers.accept, search.get('_format') ?? undefined);
      const method = req.method.toUpperCase() as HttpMethod;
      if (!METHODS.has(method)) throw Object.assign(new Error('Method not allowed'), { status: 405 });
      const policy = isPublic(method, req.path) ? anonymousPolicy : await deps.authenticate(req.headers.authorization, req.socket.remoteAddress);
      const path = decodePath(req.path);
      fhirReq = {
        method,
        path,
        query: [...search].filter(([k]) => k !== '_format' && k !== '_pretty'),
        headers: req.headers as Record<string, string | undefined>,
        body: parseBody(Buffer.isBuffer(req.body) ? req.body : undefined, req.headers['content-type'], deps.bodyLimit),
        contentType: mediaType(req.headers['content-type']),
        policy,
        remoteAddress: req.socket.remoteAddress,
      };
      const result = await deps.handle(fhirReq);
      status = result.status;
      send(res, req, result.status, result.headers ?? {}, result.body, type);
    } catch (err) {
      const r = errorResponse(err, deps.logger);
      status = r.status;
      error = r.body.issue.map((i) => i.diagnostics).join('; ');
      send(res, req, r.status, r.headers, r.body);
    } finally {
      deps.onComplete?.({ req: fhirReq, status, error, method: req.method, url: req.originalUrl, remoteAddress: req.socket.remoteAddress });
    }
  });

  // Errors raised before our handler (body too large, aborted request) still answer with an OperationOutcome.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const r = errorResponse(err, deps.logger);
    send(res, req, r.status, r.headers, r.body);
  });
  return app;
}
