import pino from 'pino';
import { loadConfig } from '../config';
import { startServer } from '../server';
import { defaultServices } from '../services';

export interface LocalTarget {
  baseUrl: string;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * The server in this process, on the configured store (DATA_DIR with the embedded engine, or MONGODB_URI), on a
 * free loopback port: `load` without --url writes where `npm start` would read. Only warnings are logged, so the
 * per-request log lines do not bury the progress bar.
 */
export async function startLocalServer(env: Record<string, string | undefined> = process.env): Promise<LocalTarget> {
  const config = loadConfig({ ...env, PORT: '0', HOST: '127.0.0.1', FHIR_BASE_URL: '' });
  const services = await defaultServices(config, env);
  const logger = pino({ level: env.LOG_LEVEL ? config.logLevel : 'warn' }, pino.destination(2));
  const server = await startServer(config, services, { logger });
  return { baseUrl: server.baseUrl, dataDir: config.dataDir, close: () => server.close() };
}
