/**
 * Logical sessions: the transaction state per session and the last retryable write's reply (so a retried write,
 * which the driver sends with the same txnNumber after a network error, is not applied twice).
 */
import type { Engine } from '../engine/engine';
import { Transaction } from '../engine/transaction';
import { AutocommitWrites, TransactionWrites, WriteContext } from '../engine/write-context';
import { CommandError, noSuchTransaction } from '../errors';
import type { Doc } from './context';

interface SessionState {
  txn?: Transaction;
  /** The connection that carried the open transaction's latest statement (see `connectionClosed`). */
  txnConnection?: number;
  retryTxnNumber?: number;
  retryReply?: Doc;
  lastUse: number;
}

/** Commands that may run inside a transaction (MongoDB's list, reduced to what the engine implements). */
const TXN_COMMANDS = new Set([
  'find',
  'getMore',
  'killCursors',
  'insert',
  'update',
  'delete',
  'findAndModify',
  'aggregate',
  'distinct',
  'count',
  'commitTransaction',
  'abortTransaction',
  'create',
  'createIndexes',
]);

export function sessionKeyOf(lsid: unknown): string | undefined {
  if (!lsid || typeof lsid !== 'object') return undefined;
  const id = (lsid as { id?: { toString(enc: string): string; buffer?: Uint8Array } }).id;
  if (!id) return undefined;
  return id.buffer ? Buffer.from(id.buffer).toString('hex') : String(id);
}

export class SessionRegistry {
  private readonly sessions = new Map<string, SessionState>();

  constructor(private readonly engine: Engine) {}

  private state(key: string): SessionState {
    let s = this.sessions.get(key);
    if (!s) {
      s = { lastUse: Date.now() };
      this.sessions.set(key, s);
    }
    s.lastUse = Date.now();
    return s;
  }

  /** Resolves the write context of a command from its session fields (starting a transaction if asked). */
  contextFor(name: string, cmd: Doc, sessionKey: string | undefined, connectionId = 0): WriteContext {
    if (sessionKey === undefined || cmd.txnNumber === undefined || cmd.autocommit === undefined) return new AutocommitWrites(this.engine);
    if (cmd.autocommit !== false) throw new CommandError(50768, 'InvalidOptions', 'autocommit must be false');
    const txnNumber = Number(cmd.txnNumber);
    const s = this.state(sessionKey);
    if (!TXN_COMMANDS.has(name)) throw new CommandError(50791, 'OperationNotSupportedInTransaction', `Cannot run '${name}' in a multi-document transaction.`);
    if (cmd.startTransaction === true) {
      if (s.txn && s.txn.txnNumber >= txnNumber && s.txn.state !== 'aborted') {
        throw new CommandError(225, 'TransactionTooOld', `txnNumber ${txnNumber} is not newer than the session's ${s.txn.txnNumber}`);
      }
      if (s.txn) this.engine.abort(s.txn);
      s.txn = this.engine.begin(txnNumber);
    } else if (!s.txn || s.txn.txnNumber !== txnNumber) {
      throw noSuchTransaction(txnNumber);
    }
    s.txnConnection = connectionId;
    return new TransactionWrites(this.engine, s.txn);
  }

  /** Notes that a commit or abort of the session's transaction came over `connectionId`. */
  carried(sessionKey: string | undefined, connectionId: number): void {
    const s = sessionKey === undefined ? undefined : this.sessions.get(sessionKey);
    if (s) s.txnConnection = connectionId;
  }

  transaction(sessionKey: string | undefined, txnNumber: number): Transaction | undefined {
    if (sessionKey === undefined) return undefined;
    const t = this.sessions.get(sessionKey)?.txn;
    return t && t.txnNumber === txnNumber ? t : undefined;
  }

  /** The saved reply when this retryable write was already executed. */
  retried(sessionKey: string | undefined, cmd: Doc): Doc | undefined {
    if (sessionKey === undefined || cmd.txnNumber === undefined || cmd.autocommit !== undefined) return undefined;
    const s = this.sessions.get(sessionKey);
    return s && s.retryTxnNumber === Number(cmd.txnNumber) ? s.retryReply : undefined;
  }

  remember(sessionKey: string | undefined, cmd: Doc, reply: Doc): void {
    if (sessionKey === undefined || cmd.txnNumber === undefined || cmd.autocommit !== undefined) return;
    const s = this.state(sessionKey);
    s.retryTxnNumber = Number(cmd.txnNumber);
    s.retryReply = reply;
  }

  end(keys: string[]): void {
    for (const k of keys) {
      const s = this.sessions.get(k);
      if (s?.txn) this.engine.abort(s.txn);
      this.sessions.delete(k);
    }
  }

  /**
   * Aborts the open transactions whose latest statement came over `connectionId`, which has closed. MongoDB keeps
   * them until transactionLifetimeLimitSeconds, so a client killed mid-transaction (kill -9 of one of several
   * servers) leaves the documents its transaction wrote unwritable for everyone else for a minute: every writer of
   * a hot document (the audit chain's next ids, a legal-hold guard) then fails with WriteConflict until the reaper
   * runs. A live client gives up a connection only between transactions, or after a network error, which makes it
   * retry the whole transaction anyway; a transaction whose statements moved to another connection is left alone.
   */
  connectionClosed(connectionId: number): void {
    for (const s of this.sessions.values()) {
      if (s.txn?.state === 'active' && s.txnConnection === connectionId) this.engine.abort(s.txn);
    }
  }

  /** Aborts transactions idle longer than `maxIdleMs` (MongoDB's transactionLifetimeLimitSeconds). */
  reap(maxIdleMs: number, sessionTimeoutMs: number): void {
    const now = Date.now();
    for (const [k, s] of this.sessions) {
      if (s.txn?.state === 'active' && s.lastUse < now - maxIdleMs) this.engine.abort(s.txn);
      // Sessions a client forgot to end expire like MongoDB's logicalSessionTimeoutMinutes.
      if (s.lastUse < now - sessionTimeoutMs) this.end([k]);
    }
  }
}
