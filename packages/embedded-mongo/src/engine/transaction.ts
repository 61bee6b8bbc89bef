/**
 * A multi-document transaction: a snapshot timestamp plus a private write set. Nothing is copied; reads consult
 * the write set first, then the version chains as of the snapshot. First writer wins: writing a document another
 * open transaction has written, or one committed after our snapshot, is a WriteConflict (112).
 */
import { Doc } from '../query/matcher';
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
    readonly snapshotTs: number,
  ) {}

  writesFor(coll: Collection): Map<string, Doc | null> | undefined {
    return this.writes.get(coll);
  }

  read(coll: Collection, id: string): Doc | null {
    const ws = this.writes.get(coll);
    if (ws !== undefined && ws.has(id)) return ws.get(id) ?? null;
    return coll.visible(id, this.snapshotTs);
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
