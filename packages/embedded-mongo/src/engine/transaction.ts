/**
 * A multi-document transaction: a snapshot of the store (an lmdb read transaction, held until it ends) plus a
 * private write set. Nothing is copied; reads consult the write set first, then the snapshot. First writer wins: writing a document another
 * open transaction has written, or one committed after our snapshot, is a WriteConflict (112).
 */
import { Doc } from '../query/matcher';
import type { ReadTxn } from '../storage/store';
import type { Collection } from './collection';
import type { SecondaryIndex } from './secondary-index';

export type WriteSet = Map<Collection, Map<string, Doc | null>>;

export class Transaction {
  readonly writes: WriteSet = new Map();
  /** Unique-index keys held by the write set, per collection and index: key -> document id (O(1) checks). */
  readonly uniqueKeys = new Map<Collection, Map<SecondaryIndex, Map<string, string>>>();
  state: 'active' | 'committed' | 'aborted' = 'active';
  /** Set when a statement failed: MongoDB aborts the transaction and later statements get NoSuchTransaction. */
  failed = false;

  constructor(
    readonly txnNumber: number,
    /** The engine's commit clock when the snapshot was taken (write conflicts: commits after it). */
    readonly snapshotTs: number,
    readonly snapshot: ReadTxn,
  ) {}

  writesFor(coll: Collection): Map<string, Doc | null> | undefined {
    return this.writes.get(coll);
  }

  read(coll: Collection, id: string): Doc | null {
    const ws = this.writes.get(coll);
    if (ws !== undefined && ws.has(id)) return ws.get(id) ?? null;
    return coll.visible(id, this.snapshot);
  }

  record(coll: Collection, id: string, doc: Doc | null): void {
    let ws = this.writes.get(coll);
    if (ws === undefined) {
      ws = new Map();
      this.writes.set(coll, ws);
    }
    ws.set(id, doc);
  }
}
