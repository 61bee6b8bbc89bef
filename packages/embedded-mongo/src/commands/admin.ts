/** Handshake and server-level commands: hello/isMaster, ping, buildInfo, listDatabases, sessions, etc. */
import { Long, ObjectId, Timestamp } from 'bson';
import { CommandError } from '../errors';
import { Doc, Handler, collectionName } from './context';
import { sessionKeyOf } from './sessions';

const ELECTION_ID = new ObjectId('7fffffff0000000000000001');

/** Advertises a single-node replica-set primary, which is what makes the driver allow sessions and transactions. */
export const hello: Handler = (cmd, ctx) => {
  const now = new Date();
  const reply: Doc = {
    ismaster: true,
    isWritablePrimary: true,
    secondary: false,
    setName: ctx.server.setName,
    setVersion: 1,
    hosts: [ctx.server.host],
    primary: ctx.server.host,
    me: ctx.server.host,
    electionId: ELECTION_ID,
    lastWrite: { opTime: { ts: new Timestamp({ t: Math.floor(now.getTime() / 1000), i: 1 }), t: Long.fromNumber(1) }, lastWriteDate: now },
    maxBsonObjectSize: 16 * 1024 * 1024,
    maxMessageSizeBytes: 48_000_000,
    maxWriteBatchSize: 100_000,
    localTime: now,
    logicalSessionTimeoutMinutes: 30,
    connectionId: ctx.connectionId,
    minWireVersion: 0,
    maxWireVersion: 21,
    readOnly: false,
    ok: 1,
  };
  if (cmd.helloOk === true) reply.helloOk = true;
  return reply;
};

export const ping: Handler = () => ({ ok: 1 });

export const buildInfo: Handler = () => ({
  version: '7.0.0',
  gitVersion: 'embedded',
  versionArray: [7, 0, 0, 0],
  bits: 64,
  maxBsonObjectSize: 16 * 1024 * 1024,
  storageEngines: ['embedded'],
  ok: 1,
});

export const listDatabases: Handler = (cmd, ctx) => {
  const names = ctx.engine.databaseNames();
  if (cmd.nameOnly === true) return { databases: names.map((name) => ({ name })), ok: 1 };
  return { databases: names.map((name) => ({ name, sizeOnDisk: 0, empty: false })), totalSize: 0, ok: 1 };
};

export const endSessions: Handler = (cmd, ctx) => {
  const ids = Array.isArray(cmd.endSessions) ? cmd.endSessions : [];
  const keys = ids.map(sessionKeyOf).filter((k): k is string => k !== undefined);
  ctx.sessions.end(keys);
  for (const k of keys) ctx.cursors.killSession(k);
  return { ok: 1 };
};

export const getParameter: Handler = () => ({ featureCompatibilityVersion: { version: '7.0' }, ok: 1 });
export const hostInfo: Handler = () => ({ system: { hostname: 'embedded' }, os: { type: process.platform }, ok: 1 });
export const whatsmyuri: Handler = () => ({ you: '127.0.0.1', ok: 1 });
export const connectionStatus: Handler = () => ({ authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] }, ok: 1 });
export const serverStatus: Handler = (_cmd, ctx) => ({
  host: ctx.server.host,
  version: '7.0.0',
  process: 'embedded',
  uptime: (Date.now() - ctx.server.startedAt.getTime()) / 1000,
  localTime: new Date(),
  ok: 1,
});

/**
 * MongoDB's `compact` rewrites one collection's files. This engine keeps one journal and one snapshot for every
 * collection, so it compacts them all: afterwards no file holds a document deleted or overwritten before the
 * command (what certified destruction needs, docs/architecture.md). The collection must exist, as in MongoDB. In
 * memory there are no files: nothing to do.
 */
export const compact: Handler = async (cmd, ctx) => {
  const name = collectionName(cmd, 'compact');
  if (!ctx.engine.collection(ctx.db, name)) throw new CommandError(26, 'NamespaceNotFound', `collection does not exist: ${ctx.db}.${name}`);
  const bytesFreed = (await ctx.server.compact?.()) ?? 0;
  return { bytesFreed, ok: 1 };
};
