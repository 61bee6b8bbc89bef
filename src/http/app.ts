import compression from 'compression';
import express, { type Request, type Response, type NextFunction } from 'express';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { type AccessPolicy, anonymousPolicy } from '../auth/access-policy';
import { allowedMethods, byMethod, type RouteMatch } from '../router/route';
import { selectRoute, type RouteTable } from '../router/router';
import type { CompletedRequest, FhirRequest, FhirResult, HttpMethod } from '../router/types';
import { parseRouteBody, mediaType, rawBodyOf, streamsBody } from './body';
import { badRequest, notSupported, unavailable } from '../errors/operation-outcome-error';
import { errorResponse } from './errors';
import { setHeaders } from './header-text';
import { outcomeMediaType, responseMediaType, wantsHtml, wantsRaw } from './format';
import { type ConsoleSettings, consoleRouter } from './console';
import type { InFlight } from './in-flight';
import { requestIds } from './request-id';
import { requestLog } from './request-log';
import { type CorsOrigins, securityHeaders } from './security-headers';
import { answerScrape, assertMayReadMetrics } from '../metrics/metrics-endpoint';
import type { ServerMetrics } from '../metrics/server-metrics';

export interface HttpDeps {
  logger: Logger;
  bodyLimit: number;
  /** Path prefix of the FHIR API, e.g. '/fhir'; every route of the table is below it. */
  mountPath: string;
  /** Turns the Authorization header into a policy, or throws 401. */
  authenticate(authorization: string | undefined, remoteAddress?: string): Promise<AccessPolicy>;
  /** The route table: which routes are public, how they read their body, whether they are audited. */
  routes: RouteTable;
  handle(req: FhirRequest): Promise<FhirResult>;
  /**
   * Called once per audited request when its response is decided, before any of it is sent: the response waits until
   * this resolves (its AuditEvent is stored); when it rejects, the request is answered 503 instead.
   */
  onComplete?(done: CompletedRequest): Promise<void> | void;
  ready(): Promise<boolean>;
  /** Facts reported beside `/healthz`'s status (search's skipped parameters, say). */
  health?(): object;
  /** Browser origins CORS admits (none: no CORS headers, preflights refused). */
  corsOrigins: CorsOrigins;
  /** Counts and times every FHIR request; `scrapedHere`: `GET /metrics` is served on this port (authenticated). */
  metrics?: { metrics: ServerMetrics; scrapedHere: boolean };
  /** Requests being answered, for a clean shutdown (src/http/in-flight.ts). */
  inFlight?: InFlight;
  /** The records console's client settings (its SMART client_id, the issuer's token endpoint its CSP admits). */
  console?: ConsoleSettings;
}

const METHODS = new Set<string>(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

function pretty(req: Request): boolean {
  // The query parser set in createHttpApp makes req.query a URLSearchParams, not a plain object.
  return (req.query as unknown as URLSearchParams).get('_pretty') === 'true';
}

/** Writes a result: JSON (a resource or pre-serialised text) with its media type, a stream piped, or no body. */
async function send(res: Response, req: Request, result: FhirResult, negotiated = 'application/fhir+json'): Promise<void> {
  const { status, body } = result;
  res.status(status);
  setHeaders(res, result.headers ?? {});
  if (body === undefined || status === 304) {
    res.end();
    return;
  }
  const type = result.contentType ?? negotiated;
  if ('stream' in body) {
    res.setHeader('Content-Type', type);
    if (req.method === 'HEAD') {
      body.stream.destroy();
      res.end();
    } else await pipeline(body.stream, res);
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

/** The path below the mount, decoded, without leading or trailing slashes; undefined when not valid encoding. */
function decodePath(path: string): string | undefined {
  try {
    return decodeURIComponent(path).replace(/^\/+|\/+$/g, '');
  } catch {
    return undefined;
  }
}

/** The route a request takes, matched once per request (the body parser asks first, then `answer`). */
const chosenRoutes = new WeakMap<Request, { path?: string; candidates: RouteMatch[]; chosen?: RouteMatch['route'] }>();

function chooseRoute(deps: HttpDeps, req: Request) {
  let found = chosenRoutes.get(req);
  if (!found) {
    const path = decodePath(req.path);
    const candidates: RouteMatch[] = path === undefined ? [] : selectRoute(deps.routes, { path }, { httpOnly: true });
    const method = req.method.toUpperCase();
    const chosen = METHODS.has(method) ? byMethod({ candidates }, method as HttpMethod)?.route : undefined;
    chosenRoutes.set(req, (found = { path, candidates, chosen }));
  }
  return found;
}

/**
 * The one HTTP adapter: every request below the FHIR base is matched against the route table, authenticated
 * unless its route is public, its body read as its route says, answered by the router, and recorded in the audit
 * trail (allowed or refused) unless its route is not audited. Errors become OperationOutcomes in one place.
 */
async function answer(deps: HttpDeps, req: Request, res: Response): Promise<void> {
  deps.inFlight?.enter();
  try {
    await answerRequest(deps, req, res);
  } finally {
    deps.inFlight?.leave();
  }
}

async function answerRequest(deps: HttpDeps, req: Request, res: Response): Promise<void> {
  const started = performance.now();
  let fhirReq: FhirRequest | undefined;
  let result: FhirResult;
  let negotiated: string | undefined;
  let error: string | undefined;
  let audited = true;
  let outcomeType: string | undefined;
  // Read now: a client that goes away mid-upload takes the socket with it.
  const remoteAddress = req.socket.remoteAddress;
  try {
    const search = new URLSearchParams(req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '');
    const { path, candidates, chosen } = chooseRoute(deps, req);
    const method = req.method.toUpperCase();
    if (!METHODS.has(method)) throw notSupported(`${method} is not supported here`, allowedMethods(candidates));
    audited = chosen?.audited !== false;
    // Routes of the FHIR API negotiate FHIR JSON; HTTP-only ones (bulk files, OAuth, discovery) answer their own type,
    // and an OperationOutcome as the JSON the client accepts; raw ones (Binary) their content's type when asked.
    if (chosen?.httpOnly || chosen?.raw) outcomeType = outcomeMediaType(req.headers.accept);
    const html = chosen?.html === true && wantsHtml(req.headers.accept, search.get('_format') ?? undefined);
    const raw = chosen?.raw === true && wantsRaw(req.headers.accept, search.get('_format') ?? undefined);
    negotiated = outcomeType ?? (html ? 'text/html' : responseMediaType(req.headers.accept, search.get('_format') ?? undefined));
    const policy = chosen?.public ? anonymousPolicy : await deps.authenticate(req.headers.authorization, remoteAddress);
    if (path === undefined) throw badRequest('The URL path is not valid percent-encoding');
    const buffered = Buffer.isBuffer(req.body) ? req.body : undefined;
    const limit = Math.min(chosen?.bodyLimit ?? Infinity, deps.bodyLimit);
    fhirReq = {
      method: method as HttpMethod,
      path,
      query: [...search].filter(([k]) => k !== '_format' && k !== '_pretty'),
      headers: req.headers as Record<string, string | undefined>,
      body: streamsBody(chosen, req.method, req.headers['content-type'])
        ? rawBodyOf(req, chosen?.bodyLimit ?? deps.bodyLimit)
        : parseRouteBody(chosen?.body ?? 'fhir', buffered, req.headers['content-type'], limit),
      contentType: mediaType(req.headers['content-type']),
      policy,
      remoteAddress,
      ...(html ? { format: 'html' as const } : raw ? { format: 'raw' as const } : {}),
    };
    result = await deps.handle(fhirReq);
  } catch (err) {
    ({ result, error } = errorResult(err, deps.logger));
    negotiated = outcomeType;
  }
  try {
    // The request's AuditEvent is stored before any byte of its response is sent (a stream's included): what was
    // disclosed or changed is on the trail even if the server dies right after. If it cannot be stored, nothing is
    // disclosed: 503, whatever the answer would have been (a write stays stored, and its event is stored later,
    // recorded as not answered: src/audit/audit-trail.ts).
    if (audited) {
      const requestId = res.locals.requestId as string | undefined;
      await deps.onComplete?.({ req: fhirReq, status: result.status, error, method: req.method, url: req.originalUrl, remoteAddress, requestId });
    }
  } catch (err) {
    deps.logger.error({ err }, 'audit event not stored: the request is answered 503');
    if (result.body && 'stream' in result.body) result.body.stream.destroy();
    result = errorResult(
      unavailable('The request could not be audited, so it is not answered. A write it made may be stored: read before retrying it.', 1),
      deps.logger,
    ).result;
    negotiated = outcomeType;
  }
  try {
    await send(res, req, result, negotiated);
  } catch (err) {
    // A stream that fails after its event was stored: the event records what was to be sent (the safe side).
    if (res.headersSent) {
      deps.logger.error({ err }, 'a response failed after it started');
      res.destroy();
    } else {
      result = errorResult(err, deps.logger).result;
      await send(res, req, result, outcomeType);
    }
  } finally {
    const route = fhirReq?.route;
    deps.metrics?.metrics.observeRequest(
      { interaction: route?.interaction ?? 'none', type: route?.resourceType ?? '', status: result.status },
      (performance.now() - started) / 1000,
    );
  }
}

/** An error as the response it becomes (an OperationOutcome), and the diagnostics the AuditEvent records. */
function errorResult(err: unknown, logger: Logger): { result: FhirResult; error: string } {
  const r = errorResponse(err, logger);
  return { result: { status: r.status, headers: r.headers, body: r.body }, error: r.body.issue.map((i) => i.diagnostics).join('; ') };
}

/**
 * Which responses are compressed when the client accepts it: what the compression middleware's own filter picks
 * (JSON, FHIR JSON, text) and NDJSON export files, but never a part of a file. A Content-Range counts bytes of the
 * file as stored; compressing a 206 (which the middleware would do) hands the client bytes that do not fit where
 * it resumes, and corrupts the download.
 */
function compressible(req: Request, res: Response): boolean {
  if (res.statusCode === 206 || res.hasHeader('Content-Range')) return false;
  return /^application\/fhir\+ndjson\b/i.test(String(res.getHeader('Content-Type') ?? '')) || compression.filter(req, res);
}

/** Express only adapts HTTP: health endpoints, security headers, and one handler for everything below the mount. */
export function createHttpApp(deps: HttpDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', (q: string) => new URLSearchParams(q));
  app.use(requestIds());
  if (deps.inFlight) app.use(deps.inFlight.connectionClose());
  app.use(requestLog(deps.logger));
  app.use(securityHeaders(deps.corsOrigins));
  // The well-kept middleware rather than zlib streams in send(): it negotiates Accept-Encoding (q-values, br,
  // identity), sets Vary, skips small bodies, HEAD and no-transform, and keeps backpressure for piped files.
  app.use(compression({ filter: compressible }));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', ...deps.health?.() });
  });
  app.get('/readyz', async (_req, res) => {
    const ok = await deps.ready();
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'store unreachable' });
  });

  const scraped = deps.metrics?.scrapedHere ? deps.metrics.metrics : undefined;
  if (scraped) {
    app.get('/metrics', async (req, res) => {
      try {
        assertMayReadMetrics(await deps.authenticate(req.headers.authorization, req.socket.remoteAddress));
        await answerScrape(scraped, res);
      } catch (err) {
        const r = errorResponse(err, deps.logger);
        await send(res, req, { status: r.status, headers: r.headers, body: r.body }, outcomeMediaType(req.headers.accept));
      }
    });
  }

  app.use('/console', consoleRouter(deps.console));

  // Every body is read whole here but a raw route's bytes (a Binary upload), which its handler streams.
  const raw = express.raw({
    type: (req) => !streamsBody(chooseRoute(deps, req as Request).chosen, req.method ?? '', req.headers['content-type']),
    limit: deps.bodyLimit,
  });
  app.use(deps.mountPath, raw, (req: Request, res: Response) => answer(deps, req, res));

  // Errors raised before our handler (body too large, aborted request) still answer with an OperationOutcome.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const r = errorResponse(err, deps.logger);
    void send(res, req, { status: r.status, headers: r.headers, body: r.body });
  });
  return app;
}
