/**
 * The write path of one command: either autocommit (each statement is stored at once, inside the command's one
 * store write, see dispatch.ts) or inside a transaction (statements go to the write set, conflicts are detected
 * eagerly).
 */
import { noSuchTransaction, writeConflict } from '../errors';
import { Doc } from '../query/matcher';
import { Collection, idKeyOf } from './collection';
import { Engine } from './engine';
import { ReadView, LATEST } from './query-exec';
import { Transaction } from './transaction';

export interface WriteContext {
  readonly txn?: Transaction;
  view(coll: Collection | undefined): ReadView;
  read(coll: Collection, id: string): Doc | null;
  /** The collection, created implicitly when `create` is set (MongoDB creates on first write). */
  collection(db: string, name: string, create: boolean): Collection | undefined;
  insert(coll: Collection, doc: Doc): void;
  replace(coll: Collection, id: string, doc: Doc): void;
  remove(coll: Collection, id: string): void;
  /** Resolves when the command's writes are durable (autocommit) — transactions wait for commit instead. */
  done(): Promise<void>;
}

export class AutocommitWrites implements WriteContext {
  private wrote = false;
  private readonly pending: Promise<void>[] = [];

  constructor(private readonly engine: Engine) {}

  view(): ReadView {
    return LATEST;
  }

  read(coll: Collection, id: string): Doc | null {
    return coll.visible(id);
  }

  collection(db: string, name: string, create: boolean): Collection | undefined {
    const c = this.engine.collection(db, name);
    if (c || !create) return c;
    const { coll, durable } = this.engine.createCollection(db, name, {}, true);
    this.pending.push(durable);
    return coll;
  }

  insert(coll: Collection, doc: Doc): void {
    const id = idKeyOf(doc._id);
    if (coll.exists(id)) throw coll.duplicateError(coll.indexes.get('_id_')!, doc);
    this.put(coll, id, doc);
  }

  replace(coll: Collection, id: string, doc: Doc): void {
    this.put(coll, id, doc);
  }

  private put(coll: Collection, id: string, doc: Doc): void {
    coll.validateIndexable(doc);
    coll.assertUnique(id, doc);
    this.engine.install(coll, id, doc, this.engine.tick());
    this.wrote = true;
  }

  remove(coll: Collection, id: string): void {
    this.engine.install(coll, id, null, this.engine.tick());
    this.wrote = true;
  }

  done(): Promise<void> {
    if (this.wrote) this.pending.push(this.engine.durable());
    this.wrote = false;
    return Promise.all(this.pending).then(() => undefined);
  }
}

export class TransactionWrites implements WriteContext {
  constructor(
    private readonly engine: Engine,
    readonly txn: Transaction,
  ) {}

  private assertActive(): void {
    if (this.txn.state !== 'active') throw noSuchTransaction(this.txn.txnNumber);
  }

  view(coll: Collection | undefined): ReadView {
    this.assertActive();
    return { snapshotTs: this.txn.snapshotTs, txn: this.txn.snapshot, overlay: coll ? this.txn.writesFor(coll) : undefined };
  }

  read(coll: Collection, id: string): Doc | null {
    return this.txn.read(coll, id);
  }

  collection(db: string, name: string, create: boolean): Collection | undefined {
    const c = this.engine.collection(db, name);
    if (c || !create) return c;
    // Created outside the transaction's atomicity (as an empty collection), like MongoDB's implicit creation.
    return this.engine.createCollection(db, name, {}, true).coll;
  }

  private conflict(): never {
    this.engine.abort(this.txn);
    throw writeConflict();
  }

  private claim(coll: Collection, id: string): void {
    this.assertActive();
    const owner = this.engine.lockOwner(coll, id);
    if (owner !== undefined && owner !== this.txn) this.conflict();
    if (coll.headTs(id) > this.txn.snapshotTs) this.conflict();
  }

  private checkUnique(coll: Collection, id: string, doc: Doc): void {
    coll.validateIndexable(doc, true);
    const clash = coll.findUniqueClash(id, doc, this.txn.writesFor(coll));
    if (clash) {
      if (coll.headTs(clash.holder) > this.txn.snapshotTs) this.conflict();
      throw coll.duplicateError(clash.index, doc);
    }
    const own = this.txn.uniqueKeys.get(coll);
    if (!own) return;
    for (const [index, keys] of own) {
      for (const k of index.keysOf(doc)) {
        const holder = keys.get(k);
        if (holder !== undefined && holder !== id) throw coll.duplicateError(index, doc);
      }
    }
  }

  /** Keeps ownKeys in step with the write set (the _id index needs none: one write-set entry per id). */
  private trackKeys(coll: Collection, id: string, before: Doc | null | undefined, after: Doc | null): void {
    let own = this.txn.uniqueKeys.get(coll);
    for (const index of coll.indexes.values()) {
      if (!index.unique || index.name === '_id_') continue;
      if (!own) {
        own = new Map();
        this.txn.uniqueKeys.set(coll, own);
      }
      let keys = own.get(index);
      if (!keys) {
        keys = new Map();
        own.set(index, keys);
      }
      if (before) for (const k of index.keysOf(before)) if (keys.get(k) === id) keys.delete(k);
      if (after) for (const k of index.keysOf(after)) keys.set(k, id);
    }
  }

  insert(coll: Collection, doc: Doc): void {
    const id = idKeyOf(doc._id);
    this.claim(coll, id);
    if (this.txn.read(coll, id)) throw coll.duplicateError(coll.indexes.get('_id_')!, doc);
    this.checkUnique(coll, id, doc);
    this.record(coll, id, doc);
  }

  replace(coll: Collection, id: string, doc: Doc): void {
    this.claim(coll, id);
    this.checkUnique(coll, id, doc);
    this.record(coll, id, doc);
  }

  remove(coll: Collection, id: string): void {
    this.claim(coll, id);
    this.record(coll, id, null);
  }

  private record(coll: Collection, id: string, doc: Doc | null): void {
    this.trackKeys(coll, id, this.txn.writesFor(coll)?.get(id), doc);
    this.txn.record(coll, id, doc);
    this.engine.lock(coll, id, this.txn);
  }

  done(): Promise<void> {
    return Promise.resolve();
  }
}
