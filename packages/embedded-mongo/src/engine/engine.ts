/**
 * The engine: catalog of databases/collections over the store, the commit clock, open transactions and their write
 * locks. All document mutation goes through `WriteContext`s so that autocommit writes and transactions share
 * validation (unique keys, indexability); each command's or transaction's writes commit as one store write.
 */
import { CommandError, indexNotFound, namespaceExists, writeConflict } from '../errors';
import { Doc } from '../query/matcher';
import type { Store } from '../storage/store';
import { Collection, ID_INDEX, idKeyOf } from './collection';
import { IndexSpec } from './secondary-index';
import { Transaction } from './transaction';

/** A record of the in-memory engine's journal (read when migrating): a group of document writes, or one catalog change. */
export interface JournalRecord {
  ts: number;
  ops?: Array<{ ns: string; d?: Doc; k?: string }>;
  cat?: string;
  ns?: string;
  db?: string;
  spec?: Doc;
  name?: string;
  options?: Doc;
}

export class Engine {
  clock = 0;
  /** Resolves once the writes committed so far are as durable as the fsync policy promises (set by the data dir). */
  durable: () => Promise<void> = () => Promise.resolve();
  private readonly dbs = new Map<string, Map<string, Collection>>();
  private readonly active = new Set<Transaction>();
  private readonly owners = new Map<Collection, Map<string, Transaction>>();
  /** Collections whose `recent` commit times may be pruned once the snapshots that needed them close. */
  private readonly tracked = new Set<Collection>();

  constructor(readonly store: Store) {
    for (const [ns, entry] of store.catalog()) {
      const [db, name] = splitNs(ns);
      this.put(new Collection(db, name, entry.options, store, entry.id, entry.indexes, this.saveCatalog));
    }
  }

  private readonly saveCatalog = (coll: Collection): void => {
    if (this.collection(coll.dbName, coll.name) === coll) this.store.putCatalog(coll.ns, coll.catalogEntry());
  };

  private put(coll: Collection): void {
    let colls = this.dbs.get(coll.dbName);
    if (!colls) {
      colls = new Map();
      this.dbs.set(coll.dbName, colls);
    }
    colls.set(coll.name, coll);
  }

  oldestSnapshot(): number {
    let min = Number.POSITIVE_INFINITY;
    for (const t of this.active) if (t.snapshotTs < min) min = t.snapshotTs;
    return min;
  }

  databaseNames(): string[] {
    return [...this.dbs.keys()].filter((d) => (this.dbs.get(d)?.size ?? 0) > 0);
  }

  collections(db: string): Collection[] {
    return [...(this.dbs.get(db)?.values() ?? [])];
  }

  collection(db: string, name: string): Collection | undefined {
    return this.dbs.get(db)?.get(name);
  }

  /** Creates a collection; `implicit` (first insert) tolerates an existing one. */
  createCollection(db: string, name: string, options: Doc = {}, implicit = false): { coll: Collection; durable: Promise<void> } {
    validateCollectionName(db, name);
    const existing = this.collection(db, name);
    if (existing) {
      if (implicit) return { coll: existing, durable: Promise.resolve() };
      throw namespaceExists(`Collection ${db}.${name} already exists.`);
    }
    const coll = this.store.write(() => {
      const made = new Collection(
        db,
        name,
        options,
        this.store,
        this.store.nextId(),
        [{ id: this.store.nextId(), spec: { ...ID_INDEX, unique: true }, multikey: [] }],
        this.saveCatalog,
      );
      this.store.putCatalog(made.ns, made.catalogEntry());
      return made;
    });
    this.put(coll);
    return { coll, durable: this.durable() };
  }

  dropCollection(db: string, name: string): Promise<void> | undefined {
    const coll = this.collection(db, name);
    if (!coll) return undefined;
    this.dbs.get(db)!.delete(name);
    this.owners.delete(coll);
    this.tracked.delete(coll);
    this.store.write(() => {
      coll.clear();
      this.store.removeCatalog(coll.ns);
    });
    return this.durable();
  }

  dropDatabase(db: string): Promise<void> {
    for (const coll of this.collections(db)) void this.dropCollection(db, coll.name);
    this.dbs.delete(db);
    return this.durable();
  }

  createIndex(coll: Collection, spec: IndexSpec): Promise<void> {
    this.store.write(() => {
      coll.addIndex(spec, this.store.nextId());
      this.saveCatalog(coll);
    });
    return this.durable();
  }

  dropIndex(coll: Collection, name: string): Promise<void> {
    if (name === '_id_') throw new CommandError(72, 'InvalidOptions', 'cannot drop _id index');
    const index = coll.indexes.get(name);
    if (!index) throw indexNotFound(`index not found with name [${name}]`);
    this.store.write(() => {
      index.clear();
      coll.indexes.delete(name);
      this.saveCatalog(coll);
    });
    return this.durable();
  }

  renameCollection(coll: Collection, toDb: string, toName: string): Promise<void> {
    validateCollectionName(toDb, toName);
    if (this.collection(toDb, toName)) throw namespaceExists(`target namespace exists`);
    const moved = coll.renamed(toDb, toName);
    this.store.write(() => {
      this.store.removeCatalog(coll.ns);
      this.store.putCatalog(moved.ns, moved.catalogEntry());
    });
    this.dbs.get(coll.dbName)!.delete(coll.name);
    this.put(moved);
    return this.durable();
  }

  // ---- transactions -------------------------------------------------------------------------------------

  begin(txnNumber: number): Transaction {
    const t = new Transaction(txnNumber, this.clock, this.store.snapshot());
    this.active.add(t);
    return t;
  }

  lockOwner(coll: Collection, id: string): Transaction | undefined {
    return this.owners.get(coll)?.get(id);
  }

  lock(coll: Collection, id: string, txn: Transaction): void {
    let m = this.owners.get(coll);
    if (!m) {
      m = new Map();
      this.owners.set(coll, m);
    }
    m.set(id, txn);
  }

  /** Validates and stores a transaction's writes atomically (one store write); throws WriteConflict (and aborts) on conflict. */
  commit(txn: Transaction): Promise<void> {
    if (txn.state !== 'active') return Promise.resolve();
    for (const [coll, ws] of txn.writes) {
      const stillThere = this.collection(coll.dbName, coll.name) === coll;
      for (const [id, doc] of ws) {
        if (!stillThere || coll.headTs(id) > txn.snapshotTs || (doc && coll.findUniqueClash(id, doc, ws))) {
          this.end(txn, 'aborted');
          throw writeConflict();
        }
      }
    }
    if (txn.writes.size > 0) this.clock++;
    const ts = this.clock;
    this.end(txn, 'committed');
    let wrote = false;
    this.store.write(() => {
      for (const [coll, ws] of txn.writes) {
        for (const [id, doc] of ws) {
          this.install(coll, id, doc, ts);
          wrote = true;
        }
      }
    });
    return wrote ? this.durable() : Promise.resolve();
  }

  /** Aborts every open transaction (before the store's file is swapped: their snapshots are of the old one). */
  abortAll(): void {
    for (const txn of [...this.active]) this.abort(txn);
  }

  abort(txn: Transaction): void {
    if (txn.state === 'active') this.end(txn, 'aborted');
  }

  private end(txn: Transaction, state: 'committed' | 'aborted'): void {
    txn.state = state;
    txn.snapshot.done();
    this.active.delete(txn);
    for (const [coll, ws] of txn.writes) {
      const m = this.owners.get(coll);
      if (m) for (const id of ws.keys()) if (m.get(id) === txn) m.delete(id);
    }
    this.forgetOldCommits();
  }

  /** Drops commit times no open snapshot is older than: only those can be write conflicts. */
  private forgetOldCommits(): void {
    const oldest = this.oldestSnapshot();
    for (const coll of this.tracked) {
      if (oldest === Number.POSITIVE_INFINITY) coll.recent.clear();
      else for (const [id, ts] of coll.recent) if (ts <= oldest) coll.recent.delete(id);
      if (coll.recent.size === 0) this.tracked.delete(coll);
    }
  }

  /** Stores one committed version; remembers its time while a transaction is open (write conflicts). */
  install(coll: Collection, id: string, doc: Doc | null, ts: number): void {
    const track = this.active.size > 0;
    coll.commit(id, doc, ts, track);
    if (track) this.tracked.add(coll);
  }

  /** For autocommit writes: a new commit timestamp per statement. */
  tick(): number {
    return ++this.clock;
  }

  /** Applies one record of a journal of the in-memory engine (migration of an older data directory). */
  replay(rec: JournalRecord): void {
    if (rec.ts > this.clock) this.clock = rec.ts;
    if (rec.ops) {
      for (const op of rec.ops) {
        const [db, name] = splitNs(op.ns);
        const coll = this.collection(db, name) ?? this.createCollection(db, name, {}, true).coll;
        if (op.d) this.install(coll, idKeyOf(op.d._id), op.d, rec.ts);
        else if (op.k) this.install(coll, op.k, null, rec.ts);
      }
      return;
    }
    const [db, name] = rec.ns ? splitNs(rec.ns) : [rec.db ?? '', ''];
    switch (rec.cat) {
      case 'create':
        this.createCollection(db, name, rec.options ?? {}, true);
        break;
      case 'drop':
        void this.dropCollection(db, name);
        break;
      case 'dropDatabase':
        void this.dropDatabase(db);
        break;
      case 'index': {
        const coll = this.collection(db, name) ?? this.createCollection(db, name, {}, true).coll;
        if (!coll.indexes.has(String(rec.spec?.name))) void this.createIndex(coll, rec.spec as IndexSpec);
        break;
      }
      case 'dropIndex': {
        const coll = this.collection(db, name);
        if (coll?.indexes.has(String(rec.name))) void this.dropIndex(coll, String(rec.name));
        break;
      }
      case 'rename': {
        const coll = this.collection(db, name);
        const [toDb, toName] = splitNs(String(rec.name));
        if (coll) void this.renameCollection(coll, toDb, toName);
        break;
      }
      default:
        throw new Error(`unknown journal record ${String(rec.cat)}`);
    }
  }

  /** Every collection of every database. */
  *allCollections(): Generator<Collection> {
    for (const colls of this.dbs.values()) yield* colls.values();
  }
}

export function splitNs(ns: string): [string, string] {
  const i = ns.indexOf('.');
  return [ns.slice(0, i), ns.slice(i + 1)];
}

function validateCollectionName(db: string, name: string): void {
  if (!db || /[/\\. "$\0]/.test(db)) throw new CommandError(73, 'InvalidNamespace', `Invalid database name: '${db}'`);
  if (!name || name.startsWith('.') || name.includes('$') || name.includes('\0')) {
    throw new CommandError(73, 'InvalidNamespace', `Invalid collection name: '${name}'`);
  }
}
