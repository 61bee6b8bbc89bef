/**
 * Embedded MongoDB-compatible engine: speaks the MongoDB wire protocol on 127.0.0.1 so the application uses the
 * official driver against it exactly as against a real MongoDB. Self-contained: imports nothing from the server.
 */
import { Dispatcher } from './commands/dispatch';
import { Engine } from './engine/engine';
import { Persistence, RecoveryStats } from './storage/persistence';
import { WireServer } from './wire/server';

export interface EmbeddedMongoOptions {
  /** Directory holding the journal and snapshots; undefined = in-memory only (tests). */
  dataDir?: string;
  /** TCP port on 127.0.0.1; 0 (default) = a free port. */
  port?: number;
  /**
   * When acknowledged writes reach the disk. 'always' (default): fsync before replying, concurrent writes share
   * one fsync (group commit). 'batch': fsync at most every 100 ms in the background. 'never': leave it to the OS.
   * In every mode the record is written to the file before the reply, so a killed process loses nothing.
   */
  fsync?: 'always' | 'batch' | 'never';
}

export interface EmbeddedMongo {
  /** e.g. mongodb://127.0.0.1:PORT/?replicaSet=embedded */
  uri: string;
  stop(): Promise<void>;
}

/** What startEmbeddedMongo actually returns: the stable API plus diagnostics for tests and benches. */
export interface EmbeddedMongoHandle extends EmbeddedMongo {
  /** Journal replay statistics of this start (undefined when in-memory). */
  readonly recovery?: RecoveryStats;
  /** Forces a compaction (snapshot + new journal); no-op when in-memory. */
  compact(): Promise<void>;
  /** Current journal size in bytes (0 when in-memory). */
  journalBytes(): number;
}

const SET_NAME = 'embedded';

export async function startEmbeddedMongo(opts: EmbeddedMongoOptions = {}): Promise<EmbeddedMongoHandle> {
  const engine = new Engine();
  const persistence = opts.dataDir === undefined ? undefined : new Persistence(opts.dataDir, engine, opts.fsync ?? 'always');
  const server = { host: '', setName: SET_NAME, startedAt: new Date() };
  const dispatcher = new Dispatcher(engine, server);
  const wire = new WireServer(dispatcher);
  let port: number;
  try {
    port = await wire.listen(opts.port ?? 0);
  } catch (e) {
    await persistence?.close();
    throw e;
  }
  server.host = `127.0.0.1:${port}`;
  // MongoDB's defaults: transactionLifetimeLimitSeconds 60, cursorTimeoutMillis 10 min, session timeout 30 min.
  const reaper = setInterval(() => {
    dispatcher.sessions.reap(60_000, 30 * 60_000);
    dispatcher.cursors.reap(10 * 60_000);
  }, 10_000);
  reaper.unref();
  let stopped = false;
  return {
    uri: `mongodb://127.0.0.1:${port}/?replicaSet=${SET_NAME}`,
    recovery: persistence?.recovery,
    compact: () => persistence?.compact() ?? Promise.resolve(),
    journalBytes: () => persistence?.journalBytes ?? 0,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(reaper);
      await wire.close();
      await persistence?.close();
    },
  };
}
