/**
 * Embedded MongoDB-compatible engine: speaks the MongoDB wire protocol on a private unix domain socket (or
 * 127.0.0.1) so the application uses the official driver against it exactly as against a real MongoDB.
 * Self-contained: imports nothing from the server.
 */
import fs from 'node:fs';
import { Dispatcher } from './commands/dispatch';
import { Engine } from './engine/engine';
import { Persistence, type ProgressReporting, type RecoveryProgress, type RecoveryStats } from './storage/persistence';

export type { ProgressReporting, RecoveryProgress, RecoveryStats };
export { DATA_DIR_LOCKED } from './storage/lock-file';
export { SharedDirectoryError, makePrivateSubdir, openPrivate, securePrivateDir } from './storage/private-files';
export { backupStore, restoreStore } from './storage/backup';
import { PRIVATE_FILE_MODE } from './storage/private-files';
import { WireServer } from './wire/server';
import { dataDirSocket, tempSocket, unixSocketsSupported, type SocketLocation } from './wire/socket-path';

export interface EmbeddedMongoOptions {
  /** Directory holding the store (and lock); undefined = a temporary store removed on stop (tests, demos). */
  dataDir?: string;
  /**
   * 'unix' (default where the platform has them): a unix domain socket in a directory only this user can enter,
   * `<dataDir>/socket/mongod.sock`, or a fresh private directory under the temporary directory when in memory or
   * when that path is too long for a socket address; TCP on 127.0.0.1 if listening there fails.
   * 'tcp': 127.0.0.1 only (default on Windows, and when `port` is given).
   */
  transport?: 'unix' | 'tcp';
  /** TCP port on 127.0.0.1; 0 (default) = a free port. */
  port?: number;
  /**
   * When acknowledged writes reach the disk. 'always' (default): fsync before replying, concurrent writes share
   * one fsync (group commit). 'batch': fsync at most every 100 ms in the background. 'never': leave it to the OS.
   * In every mode the record is written to the file before the reply, so a killed process loses nothing.
   */
  fsync?: 'always' | 'batch' | 'never';
  /** Ignored: the in-memory engine's journal compacted at this size; the store needs no such compaction. */
  compactAtBytes?: number;
  /** Told how migrating an older `dataDir` (journal and snapshots) progresses: at its start, then every `everyMs` (3 s). */
  progress?: ProgressReporting;
}

export interface EmbeddedMongo {
  /** mongodb://%2Fpath%2Fto%2Fmongod.sock/?directConnection=true, or mongodb://127.0.0.1:PORT/?replicaSet=embedded */
  uri: string;
  /** What it listens on: the socket file, or the TCP port on 127.0.0.1. */
  readonly listening: { socketPath: string } | { port: number };
  /** Migration statistics of this start (undefined without dataDir; zero records when nothing was migrated). */
  readonly recovery?: RecoveryStats;
  stop(): Promise<void>;
}

/** What startEmbeddedMongo actually returns: the stable API plus diagnostics for tests and benches. */
export interface EmbeddedMongoHandle extends EmbeddedMongo {
  /** Rewrites the store as a compacting copy (no freed page, so no destroyed byte, is left); no-op without dataDir. */
  compact(): Promise<void>;
  /** 0: the engine keeps no journal since its data lives in the store (kept for callers of older versions). */
  journalBytes(): number;
  /** Bytes the store's file takes on disk. */
  storeBytes(): number;
  /**
   * A hot backup: a consistent, compacted copy of the store, taken while writes go on, as the data directory
   * `target` (which must not hold a store yet). Start an engine on it to restore.
   */
  backup(target: string): Promise<void>;
}

const SET_NAME = 'embedded';

export async function startEmbeddedMongo(opts: EmbeddedMongoOptions = {}): Promise<EmbeddedMongoHandle> {
  const persistence = new Persistence(opts.dataDir, opts.fsync ?? 'always', opts.progress);
  let engine: Engine;
  try {
    engine = new Engine(persistence.store);
    persistence.attach(engine);
  } catch (e) {
    await persistence.close();
    throw e;
  }
  const onDisk = opts.dataDir !== undefined;
  const compact = () => persistence.compact(engine);
  const server = { host: '', setName: SET_NAME, startedAt: new Date(), compact: onDisk ? compact : undefined };
  const dispatcher = new Dispatcher(engine, server);
  const wire = new WireServer(dispatcher);
  let listening: Listening;
  try {
    listening = await listen(wire, opts);
  } catch (e) {
    await persistence.close();
    throw e;
  }
  server.host = listening.host;
  // MongoDB's defaults: transactionLifetimeLimitSeconds 60, cursorTimeoutMillis 10 min, session timeout 30 min.
  const reaper = setInterval(() => {
    dispatcher.sessions.reap(60_000, 30 * 60_000);
    dispatcher.cursors.reap(10 * 60_000);
  }, 10_000);
  reaper.unref();
  let stopped = false;
  return {
    uri: listening.uri,
    listening: listening.socket ? { socketPath: listening.socket.path } : { port: listening.port! },
    recovery: onDisk ? persistence.recovery : undefined,
    compact: async () => void (onDisk && (await compact())),
    journalBytes: () => 0,
    storeBytes: () => persistence.fileBytes,
    backup: (target: string) => persistence.backup(target),
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(reaper);
      await wire.close();
      listening.socket?.remove();
      await persistence.close();
    },
  };
}

interface Listening {
  uri: string;
  /** What hello reports as this member's address. */
  host: string;
  socket?: SocketLocation;
  port?: number;
}

/**
 * The socket candidates in order (data directory, temporary directory), then TCP. Over a socket the driver is told
 * `directConnection`: replica set discovery would compare the socket path with the lower-cased `me` of hello and
 * drop a member whose path has capitals (macOS's temporary directory has them); a direct connection to a member
 * reporting a set name is still a replica set primary to the driver (sessions, transactions, retryable writes).
 */
async function listen(wire: WireServer, opts: EmbeddedMongoOptions): Promise<Listening> {
  const transport = opts.transport ?? (opts.port === undefined && unixSocketsSupported ? 'unix' : 'tcp');
  if (transport === 'unix') {
    const candidates = [() => (opts.dataDir === undefined ? undefined : dataDirSocket(opts.dataDir)), tempSocket];
    for (const candidate of candidates) {
      const socket = candidate();
      if (!socket) continue;
      try {
        await wire.listenUnix(socket.path);
        // Its folder already keeps others out; the socket itself is the owner's too, like every file there.
        fs.chmodSync(socket.path, PRIVATE_FILE_MODE);
        return { uri: `mongodb://${encodeURIComponent(socket.path)}/?directConnection=true`, host: socket.path, socket };
      } catch {
        // A file system without socket support (some network and FUSE mounts): try the next place.
        socket.remove();
      }
    }
  }
  const port = await wire.listenTcp(opts.port ?? 0);
  return { uri: `mongodb://127.0.0.1:${port}/?replicaSet=${SET_NAME}`, host: `127.0.0.1:${port}`, port };
}
export { startEmbeddedMongoThread, type EngineThreadEvents } from './thread';
