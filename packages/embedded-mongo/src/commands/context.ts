/** What a command handler gets: the engine, the connection's server facts, cursors, sessions, and its writes. */
import { CommandError } from '../errors';
import type { Engine } from '../engine/engine';
import type { WriteContext } from '../engine/write-context';
import type { CursorRegistry } from './cursors';
import type { SessionRegistry } from './sessions';

export type Doc = Record<string, unknown>;

export interface ServerInfo {
  host: string;
  setName: string;
  startedAt: Date;
  /**
   * Compacts the data directory (a snapshot of the live documents, a new journal, the older files removed) and
   * resolves with the bytes the files shrank by; absent when the engine runs in memory.
   */
  compact?: () => Promise<number>;
}

export interface CommandContext {
  engine: Engine;
  server: ServerInfo;
  cursors: CursorRegistry;
  sessions: SessionRegistry;
  connectionId: number;
  db: string;
  /** Writes (and reads) of this command: autocommit or the session's transaction. */
  writes: WriteContext;
  /** Session id key when the command carries an lsid. */
  sessionKey?: string;
  /** Insert commands: the received BSON of each of `documents` (views into the request: not to be kept). */
  documentBytes?: Buffer[];
}

export type Handler = (cmd: Doc, ctx: CommandContext) => Doc | Promise<Doc>;

export function collectionName(cmd: Doc, name: string): string {
  const v = cmd[name];
  if (typeof v !== 'string' || v.length === 0) {
    throw new CommandError(73, 'InvalidNamespace', `collection name has invalid type ${typeof v}`);
  }
  return v;
}
