import type { IndexDescription } from 'mongodb';
import { ensureWriteLocks } from './write-locks';
import { MongoClient, type Db } from 'mongodb';
import { type IndexFormat, ensureIndexFormat } from './index-format';
import { historyCollectionName } from './stored-document';
import { historyIsCurrent } from './append-only-history';
import { AUDIT_INDEXES, AuditCollection } from './audit-collection';
import { ensureHistoryReferences } from './history-references';

export interface StoreOptions {
  uri: string;
  dbName: string;
  /** Search-layer index specs for a type's current-version collection. */
  searchIndexSpecs: (type: string) => IndexDescription[];
  /**
   * The search index layout: stored data in an older one is indexed again at connect, and a new store records it.
   * Required, so that nothing writes resources into a store without recording how they were indexed.
   */
  indexFormat: IndexFormat;
  /**
   * Command monitoring (for metrics of store command latency). Off by default: the driver then turns every reply
   * into a plain object for its event, a second deserialisation of every document a cursor reads.
   */
  monitorCommands?: boolean;
}

/** Indexes every type needs regardless of search: history by resource and by time, current by time. */
const CURRENT_INDEXES: IndexDescription[] = [{ key: { lu: 1, _id: 1 }, name: 'lastUpdated' }];
const HISTORY_INDEXES: IndexDescription[] = [
  { key: { id: 1, lu: -1, _id: -1 }, name: 'instance_history' },
  { key: { lu: -1, _id: -1 }, name: 'type_history' },
  // Certified destruction finds the past versions in a patient's compartment, also of resources now outside it.
  { key: { c: 1, _id: 1 }, name: 'history_compartment' },
  // ... and those that name a patient outside its compartments (`pr`, set on few versions, hence sparse).
  { key: { pr: 1, _id: 1 }, name: 'history_patient_refs', sparse: true },
];

/**
 * The MongoDB connection and the per-type collection set-up. Collections and their indexes are created the first
 * time a type is written (outside any transaction, as MongoDB requires), so a store that only ever sees five
 * types has five sets of collections, not 146.
 */
export class Store {
  private readonly ensured = new Map<string, Promise<void>>();

  private constructor(
    readonly client: MongoClient,
    readonly db: Db,
    private readonly opts: StoreOptions,
  ) {}

  static async connect(opts: StoreOptions): Promise<Store> {
    const client = new MongoClient(opts.uri, { ignoreUndefined: true, monitorCommands: opts.monitorCommands ?? false });
    await client.connect();
    try {
      const store = new Store(client, client.db(opts.dbName), opts);
      const existing = await store.db.listCollections({}, { nameOnly: true }).toArray();
      // Types already on disk have their indexes; re-assert them (cheap, idempotent) so new index specs apply.
      const types = existing.map((c) => c.name).filter((n) => !n.endsWith('_history') && /^[A-Z]/.test(n));
      await ensureIndexFormat(store.db, types, opts.indexFormat);
      await ensureWriteLocks(store.db);
      await ensureHistoryReferences(store.db, types, opts.indexFormat.index);
      await Promise.all(types.map((t) => store.ensureType(t)));
      return store;
    } catch (err) {
      await client.close();
      throw err;
    }
  }

  /** Types that have collections in this store (written at least once). */
  knownTypes(): string[] {
    return [...this.ensured.keys()];
  }

  ensureType(type: string): Promise<void> {
    let p = this.ensured.get(type);
    if (!p) {
      p = this.createIndexes(type).catch((err) => {
        this.ensured.delete(type);
        throw err;
      });
      this.ensured.set(type, p);
    }
    return p;
  }

  private async createIndexes(type: string): Promise<void> {
    const own = type === AuditCollection.TYPE ? AUDIT_INDEXES : [];
    await this.db.collection(type).createIndexes([...CURRENT_INDEXES, ...this.opts.searchIndexSpecs(type), ...own]);
    // An append-only type's history is served by `lastUpdated` read backwards; a `T_history` left by an older
    // version is not read any more, and not dropped here (README, upgrade notes).
    if (!historyIsCurrent(type)) await this.db.collection(historyCollectionName(type)).createIndexes(HISTORY_INDEXES);
  }

  async ping(): Promise<boolean> {
    try {
      await this.db.command({ ping: 1 });
      return true;
    } catch {
      return false;
    }
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
