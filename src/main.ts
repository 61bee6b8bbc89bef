import cluster from 'node:cluster';
import pino from 'pino';
import { ConfigError, loadConfig } from './config';
import { startServer, type RunningServer } from './server';
import { requestIdMixin } from './http/request-id';
import { defaultServices } from './services';
import { stopOnSignals } from './shutdown';
import { serveWorkers, workerCount } from './processes/workers';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`Invalid configuration: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = pino({ level: config.logLevel, mixin: requestIdMixin });
  // Signals are handled from the start: the port is bound long before a large store has loaded, and a signal in
  // between must still release the data directory's lock and remove the engine's socket.
  const stopping = new AbortController();
  let starting: Promise<RunningServer | undefined> = Promise.resolve(undefined);
  const onSignal = stopOnSignals({
    logger,
    close: async () => {
      stopping.abort(new Error('stopped by a signal during start-up'));
      const server = await starting;
      await server?.close();
    },
    exit: (code) => process.exit(code),
  });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  starting = defaultServices(config)
    .then((services) => startServer(config, services, { logger, signal: stopping.signal }))
    // Stopped on purpose: what had started is stopped again, and the signal's handler exits.
    .catch((err: unknown) => (stopping.signal.aborted ? undefined : Promise.reject(err)));
  await starting;
}

// WORKERS=N (or `fhirstone serve --workers N`): this process is the cluster's primary; its workers run main().
const workers = cluster.isPrimary ? workerCount([], process.env) : undefined;
(workers === undefined ? main() : serveWorkers(workers)).catch((err: unknown) => {
  process.stderr.write(`Start-up failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
