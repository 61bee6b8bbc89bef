/**
 * The storage engine: catalog of databases/collections, the commit clock, open transactions and their write
 * locks, and the hook to the journal. All mutation goes through `WriteContext`s so that autocommit writes and
 * transactions share validation (unique keys, indexability) and journaling.
 */
import { CommandError, indexNotFound, namespaceExists, writeConflict } from '../errors';
import { Doc } from '../query/matcher';
import { Collection, idKeyOf } from './collection';
import { IndexSpec } from './secondary-index';
import { SharedValues } from './shared-values';
import { Transaction } from './transaction';

/** A journal record: a group of document writes committed together, or one catalog change. */
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

export interface JournalSink {
  /** Resolves once the record is as durable as the configured fsync policy promises. */
  append(record: JournalRecord): Promise<void>;
}

export class Engine {
  clock = 0;
  journal?: JournalSink;
  private readonly dbs = new Map<string, Map<string, Collection>>();
  private readonly active = new Set<Transaction>();
  private readonly owners = new Map<Collection, Map<string, Transaction>>();
  private readonly retained = new Map<Collection, Set<string>>();
  /** One table for all collections: a current version and its history entry are in different ones. */
  private readonly values = new SharedValues();

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

  private log(record: Omit<JournalRecord, 'ts'>): Promise<void> {
    return this.journal ? this.journal.append({ ts: this.clock, ...record }) : Promise.resolve();
  }

  /** Creates a collection; `implicit` (first insert) tolerates an existing one. */
  createCollection(db: string, name: string, options: Doc = {}, implicit = false): { coll: Collection; durable: Promise<void> } {
    validateCollectionName(db, name);
    const existing = this.collection(db, name);
    if (existing) {
      if (implicit) return { coll: existing, durable: Promise.resolve() };
      throw namespaceExists(`Collection ${db}.${name} already exists.`);
    }
    let colls = this.dbs.get(db);
    if (!colls) {
      colls = new Map();
      this.dbs.set(db, colls);
    }
    const coll = new Collection(db, name, options, this.values);
    if (this.replaying) coll.deferIndexBuilds();
    colls.set(name, coll);
    return { coll, durable: this.log({ cat: 'create', ns: coll.ns, options }) };
  }

  dropCollection(db: string, name: string): Promise<void> | undefined {
    const coll = this.collection(db, name);
    if (!coll) return undefined;
    this.dbs.get(db)!.delete(name);
    this.owners.delete(coll);
    this.retained.delete(coll);
    return this.log({ cat: 'drop', ns: coll.ns });
  }

  dropDatabase(db: string): Promise<void> {
    this.dbs.delete(db);
    return this.log({ cat: 'dropDatabase', db });
  }

  createIndex(coll: Collection, spec: IndexSpec): Promise<void> {
    coll.addIndex(spec);
    return this.log({ cat: 'index', ns: coll.ns, spec: spec as Doc });
  }

  dropIndex(coll: Collection, name: string): Promise<void> {
    if (name === '_id_') throw new CommandError(72, 'InvalidOptions', 'cannot drop _id index');
    if (!coll.indexes.delete(name)) throw indexNotFound(`index not found with name [${name}]`);
    return this.log({ cat: 'dropIndex', ns: coll.ns, name });
  }

  renameCollection(coll: Collection, toDb: string, toName: string): Promise<void> {
    validateCollectionName(toDb, toName);
    if (this.collection(toDb, toName)) throw namespaceExists(`target namespace exists`);
    const moved = new Collection(toDb, toName, coll.options, this.values);
    if (this.replaying) moved.deferIndexBuilds();
    for (const [k, v] of coll.indexes) moved.indexes.set(k, v);
    for (const [k, v] of coll.versions) moved.versions.set(k, v);
    moved.liveCount = coll.liveCount;
    this.dbs.get(coll.dbName)!.delete(coll.name);
    if (!this.dbs.has(toDb)) this.dbs.set(toDb, new Map());
    this.dbs.get(toDb)!.set(toName, moved);
    return this.log({ cat: 'rename', ns: coll.ns, name: `${toDb}.${toName}` });
  }

  // ---- transactions -------------------------------------------------------------------------------------

  begin(txnNumber: number): Transaction {
    const t = new Transaction(txnNumber, this.clock);
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

  /** Validates and installs a transaction's writes atomically; throws WriteConflict (and aborts) on conflict. */
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
    const ops: NonNullable<JournalRecord['ops']> = [];
    if (txn.writes.size > 0) this.clock++;
    const ts = this.clock;
    this.end(txn, 'committed');
    const oldest = this.oldestSnapshot();
    for (const [coll, ws] of txn.writes) {
      for (const [id, doc] of ws) {
        this.install(coll, id, doc, ts, oldest);
        ops.push(doc ? { ns: coll.ns, d: doc } : { ns: coll.ns, k: id });
      }
    }
    this.collectGarbage();
    return ops.length > 0 ? this.log({ ops }) : Promise.resolve();
  }

  abort(txn: Transaction): void {
    if (txn.state === 'active') this.end(txn, 'aborted');
  }

  private end(txn: Transaction, state: 'committed' | 'aborted'): void {
    txn.state = state;
    this.active.delete(txn);
    for (const [coll, ws] of txn.writes) {
      const m = this.owners.get(coll);
      if (m) for (const id of ws.keys()) if (m.get(id) === txn) m.delete(id);
    }
    if (state === 'aborted') this.collectGarbage();
  }

  /** Prunes version chains kept for snapshots that have since closed. */
  private collectGarbage(): void {
    if (this.retained.size === 0) return;
    const oldest = this.oldestSnapshot();
    for (const [coll, ids] of this.retained) {
      for (const id of ids) if (!coll.prune(id, oldest)) ids.delete(id);
      coll.retainedVersions = ids.size;
      if (ids.size === 0) this.retained.delete(coll);
    }
  }

  /** Installs one committed version and remembers chains kept alive for open snapshots. */
  install(coll: Collection, id: string, doc: Doc | null, ts: number, oldest = this.oldestSnapshot()): void {
    if (coll.commit(id, doc, ts, oldest)) {
      let s = this.retained.get(coll);
      if (!s) {
        s = new Set();
        this.retained.set(coll, s);
      }
      s.add(id);
      coll.retainedVersions = s.size;
    } else if (this.retained.size > 0 && oldest === Number.POSITIVE_INFINITY) this.collectGarbage();
  }

  /** For autocommit writes: a new commit timestamp per statement. */
  tick(): number {
    return ++this.clock;
  }

  logOps(ops: NonNullable<JournalRecord['ops']>): Promise<void> {
    return ops.length > 0 ? this.log({ ops }) : Promise.resolve();
  }

  private replaying = false;
  /** Indexes of the last replay loaded from a snapshot's images, and computed from documents. */
  readonly replayedIndexes = { loaded: 0, built: 0 };

  /**
   * Start-up replay: writes only install document versions until the indexes are built in bulk, from the snapshot's
   * index images where it has them (`endSnapshot`), else from the final state (`endReplay`), so a document replaced
   * or deleted later in the journal is never indexed.
   */
  beginReplay(): void {
    this.replaying = true;
    this.values.beginReplay();
    for (const coll of this.allCollections()) coll.deferIndexBuilds();
  }

  /**
   * After a snapshot: when it carried index images, the indexes are loaded now and the journal after it is replayed
   * on them like live writes (loading is far cheaper than computing, and that journal is short by construction).
   */
  endSnapshot(): void {
    if ([...this.allCollections()].some((c) => c.hasPreloadedIndexes)) this.endReplay();
  }

  endReplay(): void {
    this.replaying = false;
    this.values.endReplay();
    for (const coll of this.allCollections()) {
      const { loaded, built } = coll.buildIndexes();
      this.replayedIndexes.loaded += loaded;
      this.replayedIndexes.built += built;
    }
  }

  /** A snapshot's index entries for `ns`: keys in order, with the id or ids holding each. */
  preloadIndex(ns: string, name: string, keys: string[], ids: Array<string | string[]>, multikey?: number[][]): void {
    const [db, collName] = splitNs(ns);
    this.collection(db, collName)?.preloadIndex(name, keys, ids, multikey);
  }

  /** Replays one journal record (recovery path: no transactions are open). */
  replay(rec: JournalRecord): void {
    if (rec.ts > this.clock) this.clock = rec.ts;
    const journal = this.journal;
    this.journal = undefined;
    try {
      if (rec.ops) {
        for (const op of rec.ops) {
          const [db, name] = splitNs(op.ns);
          const coll = this.collection(db, name) ?? this.createCollection(db, name, {}, true).coll;
          if (op.d) {
            const id = idKeyOf(op.d._id);
            if (this.replaying) coll.replayedIds.push(id);
            this.install(coll, id, op.d, rec.ts);
          } else if (op.k) this.install(coll, op.k, null, rec.ts);
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
          if (!coll.indexes.has(String(rec.spec?.name))) coll.addIndex(rec.spec as IndexSpec);
          break;
        }
        case 'dropIndex':
          this.collection(db, name)?.indexes.delete(String(rec.name));
          break;
        case 'rename': {
          const coll = this.collection(db, name);
          const [toDb, toName] = splitNs(String(rec.name));
          if (coll) void this.renameCollection(coll, toDb, toName);
          break;
        }
        default:
          throw new Error(`unknown journal record ${String(rec.cat)}`);
      }
    } finally {
      this.journal = journal;
    }
  }

  /** Every collection of every database, for snapshots (compaction). */
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
