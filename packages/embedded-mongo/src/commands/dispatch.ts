/** Routes a command document to its handler, with session/transaction bookkeeping and MongoDB error replies. */
import { CommandError } from '../errors';
import type { Engine } from '../engine/engine';
import { AutocommitWrites, WriteContext } from '../engine/write-context';
import * as admin from './admin';
import { aggregate } from './aggregate';
import * as catalog from './catalog';
import { CommandContext, Doc, Handler, ServerInfo } from './context';
import { CursorRegistry } from './cursors';
import { explain } from './explain';
import { findAndModify } from './find-and-modify';
import * as read from './read';
import { SessionRegistry, sessionKeyOf } from './sessions';
import { abortTransaction, commitTransaction } from './transactions';
import * as write from './write';

const handlers: Record<string, Handler> = {
  hello: admin.hello,
  ismaster: admin.hello,
  isMaster: admin.hello,
  ping: admin.ping,
  buildInfo: admin.buildInfo,
  buildinfo: admin.buildInfo,
  listDatabases: admin.listDatabases,
  endSessions: admin.endSessions,
  killSessions: admin.endSessions,
  getParameter: admin.getParameter,
  hostInfo: admin.hostInfo,
  whatsmyuri: admin.whatsmyuri,
  connectionStatus: admin.connectionStatus,
  serverStatus: admin.serverStatus,
  find: read.find,
  getMore: read.getMore,
  killCursors: read.killCursors,
  count: read.count,
  distinct: read.distinct,
  insert: write.insert,
  update: write.update,
  delete: write.del,
  findAndModify,
  findandmodify: findAndModify,
  aggregate,
  explain,
  create: catalog.create,
  drop: catalog.drop,
  dropDatabase: catalog.dropDatabase,
  listCollections: catalog.listCollections,
  createIndexes: catalog.createIndexes,
  listIndexes: catalog.listIndexes,
  dropIndexes: catalog.dropIndexes,
  deleteIndexes: catalog.dropIndexes,
  renameCollection: catalog.renameCollection,
  collMod: () => ({ ok: 1 }),
  compact: admin.compact,
  commitTransaction,
  abortTransaction,
};

/** Commands whose replies are cached for retryable-write de-duplication. */
const RETRYABLE = new Set(['insert', 'update', 'delete', 'findAndModify', 'findandmodify']);
const STORE_WRITES = new Set([...RETRYABLE, 'commitTransaction']);

export class Dispatcher {
  readonly cursors = new CursorRegistry();
  readonly sessions: SessionRegistry;

  constructor(
    readonly engine: Engine,
    readonly server: ServerInfo,
  ) {
    this.sessions = new SessionRegistry(engine);
  }

  async run(command: Doc, db: string, connectionId: number, documentBytes?: Buffer[]): Promise<Doc> {
    // A compaction swapping the store's file in: wait for it.
    while (this.engine.store.paused) await this.engine.store.paused;
    const name = Object.keys(command)[0];
    const handler = name === undefined ? undefined : handlers[name];
    if (!handler) return new CommandError(59, 'CommandNotFound', `no such command: '${name}'`).toReply();
    const sessionKey = sessionKeyOf(command.lsid);
    let writes: WriteContext;
    try {
      if (name === 'commitTransaction' || name === 'abortTransaction') {
        this.sessions.carried(sessionKey, connectionId);
        writes = new AutocommitWrites(this.engine);
      } else writes = this.sessions.contextFor(name, command, sessionKey, connectionId);
    } catch (e) {
      return errorReply(e);
    }
    const retryable = RETRYABLE.has(name);
    if (retryable) {
      const previous = this.sessions.retried(sessionKey, command);
      if (previous) return previous;
    }
    const ctx: CommandContext = {
      engine: this.engine,
      server: this.server,
      cursors: this.cursors,
      sessions: this.sessions,
      connectionId,
      db,
      writes,
      sessionKey,
      documentBytes,
    };
    try {
      // The synchronous part of an autocommit write command (every statement) runs in one store write: one commit
      // per command. Not in a transaction: its writes wait for commit, and its reads must see its snapshot, which
      // lmdb ignores inside a write transaction.
      const inStore = STORE_WRITES.has(name) && !writes.txn;
      const reply = await (inStore ? this.engine.store.write(() => handler(command, ctx)) : handler(command, ctx));
      await writes.done();
      if (retryable) this.sessions.remember(sessionKey, command, reply);
      return reply;
    } catch (e) {
      // Any failed statement aborts the transaction it ran in, as MongoDB does.
      if (writes.txn) this.engine.abort(writes.txn);
      // Whatever was applied before the failure must still reach the journal.
      await writes.done().catch(() => undefined);
      return errorReply(e);
    }
  }
}

function errorReply(e: unknown): Doc {
  if (e instanceof CommandError) return e.toReply();
  return { ok: 0, errmsg: e instanceof Error ? e.message : String(e), code: 1, codeName: 'InternalError' };
}
