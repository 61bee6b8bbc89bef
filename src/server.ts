import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Filter, IndexDescription } from 'mongodb';
import type { Indexer, StoredDocument } from './store/stored-document';
import pino, { type Logger } from 'pino';
import { unrestrictedPolicy, type AccessPolicy } from './auth/access-policy';
import type { Config } from './config';
import { startEmbeddedMongo, startEmbeddedMongoThread, type EmbeddedMongo } from './embedded-mongo';
import { OperationOutcomeError, issue } from './errors/operation-outcome-error';
import { isStorableType } from './fhir/resource-types';
import { createHttpApp } from './http/app';
import { errorResponse } from './http/errors';
import type { OperationDefinitionRef, RouterContext, SearchApi, ValidationApi } from './router/context';
import type { CapabilityContributions } from './router/interactions/capabilities';
import { route, type RouterDeps } from './router/router';
import type { CompletedRequest, FhirRequest, FhirResult } from './router/types';
import { AccessTrace } from './store/access-trace';
import { Repository } from './store/repository';
import { Store } from './store/store';
import type { IndexFormat } from './store/index-format';
import type express from 'express';

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
  operations?: OperationDefinitionRef[];
  bundle?: RouterDeps['bundle'];
  createHandlers?: RouterDeps['createHandlers'];
  authenticate?(authorization: string | undefined): Promise<AccessPolicy>;
  extraRoutes?(app: express.Express, server: RunningServerCore): void;
  onComplete?(done: CompletedRequest): void;
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
  handle(req: FhirRequest): Promise<FhirResult>;
}

export interface RunningServer extends RunningServerCore {
  /** http://host:port */
  url: string;
  baseUrl: string;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Embedded engine without files (tests). */
  inMemory?: boolean;
  logger?: Logger;
}

const SOFTWARE = { name: 'fhirstone', version: '0.1.0' };

const STARTING = new OperationOutcomeError(503, [issue('transient', 'The server is starting; retry shortly')], { 'Retry-After': '1' });

/** Before the Express app exists, the same error mapping answers every request. */
function answerStarting(res: ServerResponse): void {
  const { status, headers, body } = errorResponse(STARTING);
  res.writeHead(status, { ...headers, 'Content-Type': 'application/fhir+json; charset=utf-8', Connection: 'close' });
  res.end(JSON.stringify(body));
}

/**
 * Starts the store, the services and the HTTP listener. If any step fails (a refused configuration, an
 * unreachable store), what was already started is stopped again, so a refusal leaves no open socket or lock.
 */
export async function startServer(config: Config, services: Services, opts: StartOptions = {}): Promise<RunningServer> {
  const undo: Array<() => Promise<unknown> | unknown> = [];
  try {
    return await start(config, services, opts, undo);
  } catch (err) {
    for (const step of undo.reverse()) await Promise.resolve().then(step).catch(() => undefined);
    throw err;
  }
}

async function start(
  config: Config,
  services: Services,
  opts: StartOptions,
  undo: Array<() => Promise<unknown> | unknown>,
): Promise<RunningServer> {
  const logger = opts.logger ?? pino({ level: config.logLevel });
  let embedded: EmbeddedMongo | undefined;
  if (!config.mongoUri) {
    const engineOptions = { dataDir: opts.inMemory ? undefined : config.dataDir, fsync: config.embeddedFsync };
    embedded =
      config.embeddedThread === 'worker'
        ? await startEmbeddedMongoThread(engineOptions, {
            onUnexpectedExit: (err) => logger.fatal({ err }, 'the embedded engine thread died: the store is unreachable'),
          })
        : await startEmbeddedMongo(engineOptions);
    const engine = embedded;
    undo.push(() => engine.stop());
    logger.info({ dataDir: opts.inMemory ? '(memory)' : config.dataDir, ...engine.listening, thread: config.embeddedThread }, 'embedded MongoDB-compatible engine started');
  }
  const uri = config.mongoUri ?? (embedded as EmbeddedMongo).uri;
  // The port is bound before the services start (the base URL needs it); a request in that window gets a 503
  // instead of waiting on a socket no handler would ever answer.
  let app: RequestListener | undefined;
  const server: Server = createServer((req, res) => (app ? app(req, res) : answerStarting(res)));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  undo.push(() => new Promise((resolve) => server.close(resolve)));
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  const baseUrl = config.baseUrl ?? `${url}/fhir`;

  const indexFormat: IndexFormat = {
    ...services.indexFormat,
    index: services.index,
    onProgress: ({ type, done, finished, format }) =>
      logger.info({ type, done, format }, finished ? 'search index rebuilt in the current format' : 'rebuilding the search index'),
  };
  const store = await Store.connect({ uri, dbName: config.mongoDb, searchIndexSpecs: services.searchIndexSpecs, indexFormat });
  undo.push(() => store.close());
  const systemRepo = new Repository(
    {
      client: store.client,
      db: store.db,
      index: services.index,
      ensureType: (t) => store.ensureType(t),
      compileRestriction: services.compileRestriction,
    },
    unrestrictedPolicy,
  );
  const served = (type: string) => isStorableType(type) && (!config.resourceTypes || config.resourceTypes.has(type));
  const operations = new Map((services.operations ?? []).map((o) => [o.name, o]));
  const deps: RouterDeps = {
    capabilities: { ...services.capabilities, software: SOFTWARE },
    bundle: services.bundle,
    createHandlers: services.createHandlers,
  };

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
      operations,
      route: (req) => route(context(repo.inTransactionNow ? repo : repo.as(req.policy)), deps, req),
      withRepo: (other) => context(other),
    };
    return ctx;
  };
  const handle = (req: FhirRequest) => {
    req.trace ??= new AccessTrace();
    return route(context(systemRepo.as(req.policy, req.trace)), deps, req);
  };
  const core: RunningServerCore = { config: { ...config, baseUrl }, store, logger, systemRepo, handle };

  undo.push(() => services.stop?.());
  await services.start?.(core);
  app = createHttpApp({
    logger,
    bodyLimit: config.bodyLimit,
    mountPath: '/fhir',
    authenticate: services.authenticate ?? (async () => unrestrictedPolicy),
    handle,
    onComplete: services.onComplete,
    ready: () => store.ping(),
    extraRoutes: services.extraRoutes ? (a) => services.extraRoutes!(a, core) : undefined,
  });
  logger.info({ url: `${url}/fhir` }, 'FHIR server listening');

  return {
    ...core,
    url,
    baseUrl,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await services.stop?.();
      await store.close();
      await embedded?.stop();
    },
  };
}
