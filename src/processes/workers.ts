import cluster, { type Worker } from 'node:cluster';
import pino, { type Logger } from 'pino';
import { type EmbeddedMongo, securePrivateDir, startEmbeddedMongoThread } from '@fhirstone/embedded-mongo';
import { loadConfig } from '../config';
import { SHUTDOWN_DEADLINE_MS, stopOnSignals } from '../shutdown';

/** A worker that dies sooner than this after its start is not started again (a configuration that cannot work). */
const CRASH_LOOP_MS = 5_000;

/** The number of server processes asked for: `--workers N` or WORKERS; undefined for one process (no cluster). */
export function workerCount(args: string[], env: Record<string, string | undefined>): number | undefined {
  const i = args.indexOf('--workers');
  const raw = i >= 0 ? (args[i + 1] ?? '') : env.WORKERS;
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d{1,3}$/.test(raw) || Number(raw) < 1 || Number(raw) > 256) throw new Error(`--workers / WORKERS needs a number from 1 to 256, got "${raw}"`);
  return Number(raw);
}

/**
 * `fhirstone serve --workers N`: N server processes on one port with node:cluster (the primary accepts connections
 * and hands them out in turn), each connected to the same store. Without MONGODB_URI the primary runs the
 * embedded engine (on a thread of its own) on DATA_DIR and gives the workers its URI, as `fhirstone engine` would.
 * The primary restarts a worker that dies, and on SIGTERM/SIGINT stops the workers (each shuts down cleanly:
 * requests in flight finish, the audit queue is written, job leases handed back), then the engine.
 */
export async function serveWorkers(count: number): Promise<void> {
  const config = loadConfig();
  const logger = pino({ level: config.logLevel });
  let engine: EmbeddedMongo | undefined;
  let uri = config.mongoUri;
  if (!uri) {
    securePrivateDir(config.dataDir, (entry, mode) => logger.warn({ entry, mode }, 'could be read by other users: made owner-only'));
    engine = await startEmbeddedMongoThread(
      {
        dataDir: config.dataDir,
        fsync: config.embeddedFsync,
        progress: { onProgress: (p) => logger.info({ file: p.file, bytesRead: p.bytesRead }, 'loading the embedded store') },
      },
      { onUnexpectedExit: (err) => logger.fatal({ err }, 'the embedded engine thread died: the store is unreachable') },
    );
    uri = engine.uri;
    logger.info({ ...engine.listening }, 'embedded engine started for the workers');
  }
  // Workers run this process's own entry point and arguments (main.js, or cli.js serve; execArgv too, so a server
  // run through a loader stays one), where cluster.isPrimary is false: each runs a server.
  let stopping = false;
  const started = new Map<Worker, number>();
  /** Stops every worker with `signal` (the one the primary got: a terminal's SIGINT reaches them too), then the engine. */
  const shutdown = async (signal: NodeJS.Signals) => {
    stopping = true;
    await stopWorkers([...started.keys()], signal, logger);
    await engine?.stop();
  };
  const fork = (index: number) => {
    const worker = cluster.fork({ MONGODB_URI: uri, FHIRSTONE_WORKER: String(index) });
    started.set(worker, Date.now());
    worker.once('exit', (code, signal) => {
      const lived = Date.now() - (started.get(worker) ?? 0);
      started.delete(worker);
      if (stopping) return;
      if (lived < CRASH_LOOP_MS) {
        logger.fatal({ worker: index, code, signal }, 'a server worker died right after it started: not restarting it; stopping');
        void shutdown('SIGTERM').finally(() => process.exit(1));
        return;
      }
      logger.error({ worker: index, code, signal }, 'a server worker died: starting another');
      fork(index);
    });
  };
  let received: NodeJS.Signals = 'SIGTERM';
  const onSignal = stopOnSignals({
    logger,
    // The workers' own shutdowns are bounded by the same deadline; the primary waits for them, then the engine.
    deadlineMs: SHUTDOWN_DEADLINE_MS + 10_000,
    close: () => shutdown(received),
    exit: (code) => process.exit(code),
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      received = signal;
      onSignal(signal);
    });
  }
  for (let i = 0; i < count; i++) fork(i);
  logger.info({ workers: count, port: config.port }, 'server workers started');
}

/** Sends each worker `signal` and waits for all to exit (a worker's own shutdown has its deadline; then SIGKILL). */
async function stopWorkers(workers: Worker[], signal: NodeJS.Signals, logger: Logger): Promise<void> {
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve) => {
          if (w.isDead()) return resolve();
          const kill = setTimeout(() => {
            logger.error({ pid: w.process.pid }, 'a worker did not stop in time: killing it');
            w.process.kill('SIGKILL');
          }, SHUTDOWN_DEADLINE_MS + 5_000);
          w.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          w.process.kill(signal);
        }),
    ),
  );
}
