import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { securePrivateDir, startEmbeddedMongo } from '@fhirstone/embedded-mongo';
import { loadConfig } from '../config';
import { stopOnSignals } from '../shutdown';

export const ENGINE_USAGE = `fhirstone engine [--port N]
  Runs the embedded engine as a process of its own, on DATA_DIR (its lock file keeps a second engine out), for
  several servers to share through MONGODB_URI exactly as they would share MongoDB. It listens on a unix socket in
  DATA_DIR/socket (only this user can enter it), or with --port on 127.0.0.1:N (0: a free port). The URI is logged
  and written to DATA_DIR/engine.uri (owner-only) for the servers to read; EMBEDDED_FSYNC applies.`;

/** The file a running engine process writes its URI to, in its data directory. */
export const engineUriFile = (dataDir: string) => path.join(dataDir, 'engine.uri');

function portOf(args: string[]): number | undefined {
  const i = args.indexOf('--port');
  if (i < 0) return undefined;
  const raw = args[i + 1] ?? '';
  if (!/^\d{1,5}$/.test(raw) || Number(raw) > 65535) throw new Error(`--port needs a port number (0-65535), got "${raw}"`);
  return Number(raw);
}

/** `fhirstone engine`: starts the engine and serves until SIGTERM or SIGINT. */
export async function runEngine(args: string[]): Promise<number | undefined> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${ENGINE_USAGE}\n`);
    return 0;
  }
  const unknown = args.filter((a, i) => a !== '--port' && args[i - 1] !== '--port');
  if (unknown.length) throw new Error(`unknown option ${unknown[0]}\n${ENGINE_USAGE}`);
  const port = portOf(args);
  const config = loadConfig();
  const logger = pino({ level: config.logLevel });
  securePrivateDir(config.dataDir, (entry, mode) => logger.warn({ entry, mode }, 'could be read by other users: made owner-only'));
  const engine = await startEmbeddedMongo({
    dataDir: config.dataDir,
    fsync: config.embeddedFsync,
    ...(port === undefined ? {} : { transport: 'tcp' as const, port }),
    progress: { onProgress: (p) => logger.info({ file: p.file, bytesRead: p.bytesRead, totalBytes: p.totalBytes }, 'loading the embedded store') },
  });
  const uriFile = engineUriFile(config.dataDir);
  fs.writeFileSync(uriFile, `${engine.uri}\n`, { mode: 0o600 });
  logger.info({ uri: engine.uri, dataDir: config.dataDir, ...engine.listening }, 'embedded engine listening: point servers at it with MONGODB_URI');
  const onSignal = stopOnSignals({
    logger,
    close: async () => {
      fs.rmSync(uriFile, { force: true });
      await engine.stop();
    },
    exit: (code) => process.exit(code),
  });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return undefined;
}
