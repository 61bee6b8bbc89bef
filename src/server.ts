import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Filter, IndexDescription } from 'mongodb';
import type { Bundle } from 'fhir/r4';
import type { Indexer, StoredDocument } from './store/stored-document';
import pino, { type Logger } from 'pino';
import { unrestrictedPolicy, type AccessPolicy } from './auth/access-policy';
import type { Config } from './config';
import {
  securePrivateDir,
  startEmbeddedMongo,
  startEmbeddedMongoThread,
  type EmbeddedMongo,
  type EmbeddedMongoOptions,
  type EngineThreadEvents,
  type RecoveryProgress,
} from '@fhirstone/embedded-mongo';
import { unavailable } from './errors/operation-outcome-error';
import { isStorableType } from './fhir/resource-types';
import { createHttpApp } from './http/app';
import type { ConsoleSettings } from './http/console';
import { errorResponse } from './http/errors';
import { InFlight } from './http/in-flight';
import { requestIdMixin } from './http/request-id';
import type { CorsOrigins } from './http/security-headers';
import type { Operation } from './operations/operation';
import type { RouterContext, SearchApi, ValidationApi } from './router/context';
import type { CapabilityContributions } from './router/interactions/capabilities';
import type { Route } from './router/route';
import { buildRouteTable, route, type RouteTableParts } from './router/router';
import type { CompletedRequest, FhirRequest, FhirResult } from './router/types';
import { AccessTrace } from './store/access-trace';
import { Repository } from './store/repository';
import { Store } from './store/store';
import { WriteHooks, type WriteHook } from './store/write-hooks';
import type { JobServices } from './jobs';
import type { IndexFormat } from './store/index-format';
import { listenForScrapes } from './metrics/metrics-endpoint';
import { ServerMetrics } from './metrics/server-metrics';

/** The pluggable layers. `src/services.ts` gives the real ones; tests may substitute. */
export interface Services {
  search: SearchApi;
  validation: ValidationApi;
  index: Indexer;
  compileRestriction?: (type: string, query: string) => Filter<StoredDocument>;
  searchIndexSpecs(type: string): IndexDescription[];
  /** The search index layout; stored data in an older one is indexed again at start-up (with `index`). */
  indexFormat: Omit<IndexFormat, 'index' | 'onProgress'>;
  capabilities: Omit<CapabilityContributions, 'software'>;
  /** Operations (src/operations), each routed where its OperationDefinition says. */
  operations?: Operation[];
  /** Routes of other layers, ahead of the REST interactions in the route table. */
  routes?: Route[];
  /** Run inside every write's transaction, whatever the path (src/store/write-hooks.ts). */
  writeHooks?: WriteHook[];
  /** Completes searchset and history Bundles (Binary bytes as `data`): RouterContext.completeBundle, per repository. */
  completeBundle?(repo: Repository, bundle: Bundle): Promise<void>;
  /** Asynchronous jobs (src/jobs): operations queue them, kinds register on it before the server starts. */
  jobs?: JobServices;
  bundle?: RouteTableParts['bundle'];
  authenticate?(authorization: string | undefined, remoteAddress?: string): Promise<AccessPolicy>;
  /** Browser origins the API admits through CORS, asked once the services started; absent: none. */
  corsOrigins?(): CorsOrigins;
  /** The records console's settings, asked once the services started (src/http/console.ts). */
  console?(): ConsoleSettings;
  /** The request's audit record: its response waits for it (src/http/app.ts). */
  onComplete?(done: CompletedRequest): Promise<void> | void;
  /** Facts `/healthz` reports beside its status (bounded, cheap: it is polled). */
  health?(): object;
  /** Called once the store is connected (audit writer, export workers). */
  start?(server: RunningServerCore): Promise<void> | void;
  stop?(): Promise<void> | void;
}

export interface RunningServerCore {
  /** Config with `baseUrl` resolved. */
  config: Config & { baseUrl: string };
  store: Store;
  logger: Logger;
  /** Repository as the unrestricted system (internal work such as export jobs). */
  systemRepo: Repository;
  /** The Prometheus metrics (absent with METRICS=off): services add their gauges at start. */
  metrics?: ServerMetrics;
  /** Answers a request arriving over HTTP (bundle entries go through the router context's `route`). */
  handle(req: FhirRequest): Promise<FhirResult>;
}

export interface RunningServer extends RunningServerCore {
  /** http://host:port */
  url: string;
  /** Where `/metrics` is scraped when it has a port of its own (METRICS_PORT). */
  metricsUrl?: string;
  baseUrl: string;
  /**
   * Stops listening, lets requests in flight finish for up to `graceMs` (then cuts the connections still open),
   * then stops the services and the store.
   */
  close(graceMs?: number): Promise<void>;
}

/** Within the 30 s a shutdown gets (src/shutdown.ts), leaving time to flush the audit trail and close the store. */
export const CLOSE_GRACE_MS = 20_000;

export interface StartOptions {
  /** Embedded engine without files (tests). */
  inMemory?: boolean;
  logger?: Logger;
  /** How the embedded engine is started (tests hold it back to see the server while the store loads). */
  startEngine?: (options: EmbeddedMongoOptions, events: EngineThreadEvents) => Promise<EmbeddedMongo>;
  /**
   * Aborted by a stop signal during start-up: the step running then (loading the store, say) finishes, what was
   * started is stopped again (lock released, socket removed), and startServer rejects with the signal's reason.
   */
  signal?: AbortSignal;
}

const SOFTWARE = { name: 'fhirstone', version: '0.1.0' };

const STARTING = errorResponse(unavailable('The server is starting; retry shortly', 1));

/** What helmet adds to every answer of the Express app (src/http/app.ts), which does not exist yet. */
const STARTING_HEADERS = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', Connection: 'close' };

/**
 * Before the Express app exists: the same error mapping answers every request, except the health endpoints: the
 * process is alive (liveness 200, so an orchestrator does not kill a long load) but not ready.
 */
function answerStarting(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '').split('?')[0];
  if (path === '/healthz' || path === '/readyz') {
    const alive = path === '/healthz';
    res.writeHead(alive ? 200 : STARTING.status, { ...STARTING_HEADERS, 'Content-Type': 'application/json; charset=utf-8', ...(alive ? {} : STARTING.headers) });
    res.end(JSON.stringify({ status: 'starting' }));
    return;
  }
  const { status, headers, body } = STARTING;
  res.writeHead(status, { ...headers, ...STARTING_HEADERS, 'Content-Type': 'application/fhir+json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

const megabytes = (bytes: number) => Math.round(bytes / 1e5) / 10;

function loadProgress(p: RecoveryProgress): Record<string, unknown> {
  return { file: p.file, readMb: megabytes(p.bytesRead), totalMb: megabytes(p.totalBytes), percent: p.totalBytes ? Math.floor((100 * p.bytesRead) / p.totalBytes) : 100 };
}

/**
 * Starts the store, the services and the HTTP listener. If any step fails (a refused configuration, an
 * unreachable store), what was already started is stopped again, so a refusal leaves no open socket or lock.
 */
export async function startServer(config: Config, services: Services, opts: StartOptions = {}): Promise<RunningServer> {
  const undo: Array<() => Promise<unknown> | unknown> = [];
  try {
    opts.signal?.throwIfAborted();
    return await start(config, services, opts, undo);
  } catch (err) {
    for (const step of undo.reverse())
      await Promise.resolve()
        .then(step)
        .catch(() => undefined);
    throw err;
  }
}

async function start(config: Config, services: Services, opts: StartOptions, undo: Array<() => Promise<unknown> | unknown>): Promise<RunningServer> {
  const logger = opts.logger ?? pino({ level: config.logLevel, mixin: requestIdMixin });
  // The port is bound first: loading a large store takes a while, and meanwhile clients and orchestrators get a
  // 503 (liveness: 200 "starting") instead of a refused connection, and a port in use is reported at once.
  let app: RequestListener | undefined;
  const server: Server = createServer((req, res) => (app ? app(req, res) : answerStarting(req, res)));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  undo.push(() => new Promise((resolve) => server.close(resolve)));
  const proceed = () => opts.signal?.throwIfAborted();
  proceed();
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  const baseUrl = config.baseUrl ?? `${url}/fhir`;
  logger.info({ url: `${url}/fhir` }, 'port bound: answering 503 until the store and services have started');

  if (!opts.inMemory) {
    // DATA_DIR holds the journal and snapshots, the signing key, maybe export files: the server's user's alone.
    securePrivateDir(config.dataDir, (entry, mode) => logger.warn({ entry, mode }, 'could be read by other users: made owner-only'));
  }
  let embedded: EmbeddedMongo | undefined;
  if (!config.mongoUri) {
    const engineOptions: EmbeddedMongoOptions = {
      dataDir: opts.inMemory ? undefined : config.dataDir,
      fsync: config.embeddedFsync,
      progress: { onProgress: (p) => logger.info(loadProgress(p), 'loading the embedded store') },
    };
    const startEngine = opts.startEngine ?? (config.embeddedThread === 'worker' ? startEmbeddedMongoThread : startEmbeddedMongo);
    embedded = await startEngine(engineOptions, {
      onUnexpectedExit: (err) => logger.fatal({ err }, 'the embedded engine thread died: the store is unreachable'),
    });
    const engine = embedded;
    undo.push(() => engine.stop());
    proceed();
    const recovery = engine.recovery && { records: engine.recovery.records, mb: megabytes(engine.recovery.bytes), ms: engine.recovery.millis };
    logger.info(
      { dataDir: opts.inMemory ? '(memory)' : config.dataDir, ...engine.listening, thread: config.embeddedThread, recovery },
      'embedded MongoDB-compatible engine started',
    );
  }
  const uri = config.mongoUri ?? (embedded as EmbeddedMongo).uri;

  const indexFormat: IndexFormat = {
    ...services.indexFormat,
    index: services.index,
    onProgress: ({ type, done, finished, format }) =>
      logger.info({ type, done, format }, finished ? 'search index rebuilt in the current format' : 'rebuilding the search index'),
  };
  const metrics = config.metrics.enabled ? new ServerMetrics() : undefined;
  const monitorCommands = metrics !== undefined && config.metrics.storeCommands;
  const store = await Store.connect({ uri, dbName: config.mongoDb, searchIndexSpecs: services.searchIndexSpecs, indexFormat, monitorCommands });
  undo.push(() => store.close());
  if (monitorCommands) metrics.watchStore(store.client);
  proceed();
  const hooks = new WriteHooks(services.writeHooks);
  // A transaction cannot create collections: those the hooks write to exist before the first write.
  for (const type of hooks.written) await store.ensureType(type);
  const systemRepo = new Repository(
    {
      client: store.client,
      db: store.db,
      index: services.index,
      ensureType: (t) => store.ensureType(t),
      compileRestriction: services.compileRestriction,
      hooks,
    },
    unrestrictedPolicy,
  );
  const served = (type: string) => isStorableType(type) && (!config.resourceTypes || config.resourceTypes.has(type));
  const table = buildRouteTable({
    capabilities: { ...services.capabilities, software: SOFTWARE },
    bundle: services.bundle,
    routes: services.routes,
    operations: services.operations,
  });

  const context = (repo: Repository): RouterContext => {
    const ctx: RouterContext = {
      baseUrl,
      repo,
      search: services.search,
      validation: services.validation,
      isServedType: served,
      servedTypes: () => (config.resourceTypes ? [...config.resourceTypes] : store.knownTypes()).filter(served),
      defaultPageSize: config.defaultPageSize,
      maxPageSize: config.maxPageSize,
      route: (req) => route(context(repo.inTransactionNow ? repo : repo.as(req.policy)), table, req, { httpOnly: false }),
      withRepo: (other) => context(other),
      completeBundle: async (bundle) => services.completeBundle?.(repo, bundle),
    };
    return ctx;
  };
  const handle = (req: FhirRequest) => {
    req.trace ??= new AccessTrace();
    return route(context(systemRepo.as(req.policy, req.trace)), table, req, { httpOnly: true });
  };
  const core: RunningServerCore = { config: { ...config, baseUrl }, store, logger, systemRepo, handle, metrics };

  undo.push(() => services.stop?.());
  await services.start?.(core);
  proceed();
  const inFlight = new InFlight();
  app = createHttpApp({
    logger,
    bodyLimit: config.bodyLimit,
    mountPath: '/fhir',
    authenticate: services.authenticate ?? (async () => unrestrictedPolicy),
    routes: table,
    handle,
    onComplete: services.onComplete,
    health: services.health,
    ready: () => store.ping(),
    corsOrigins: services.corsOrigins?.() ?? [],
    console: services.console?.(),
    metrics: metrics && { metrics, scrapedHere: config.metrics.port === undefined },
    inFlight,
  });
  let scrapes: Server | undefined;
  if (metrics && config.metrics.port !== undefined) {
    const listener = (scrapes = await listenForScrapes(metrics, config.metrics.port, config.metrics.host));
    undo.push(() => new Promise((resolve) => listener.close(resolve)));
    logger.info({ metrics: `http://${config.metrics.host}:${(listener.address() as AddressInfo).port}/metrics` }, 'metrics listening');
  }
  logger.info({ url: `${url}/fhir` }, 'FHIR server listening');

  return {
    ...core,
    url,
    baseUrl,
    metricsUrl: scrapes && `http://${config.metrics.host}:${(scrapes.address() as AddressInfo).port}/metrics`,
    async close(graceMs = CLOSE_GRACE_MS) {
      // Idle keep-alive connections are closed at once; a request in flight (a transaction being written, say)
      // gets its answer, and its connection is closed after it (Node's server does so once it no longer listens).
      // Keep-alive clients are told to go (Connection: close on every answer from now on).
      inFlight.close();
      const cut = setTimeout(() => server.closeAllConnections(), graceMs);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      clearTimeout(cut);
      // A connection cut at the deadline leaves its handler running: its work (and its AuditEvent) still counts.
      await inFlight.idle(graceMs);
      if (scrapes) {
        const listener = scrapes;
        await new Promise((resolve) => listener.close(resolve));
      }
      await services.stop?.();
      await store.close();
      await embedded?.stop();
    },
  };
}
