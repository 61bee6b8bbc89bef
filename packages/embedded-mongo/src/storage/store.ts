/**
 * The engine's storage: one lmdb environment (a memory-mapped B+ tree file, `data.mdb`, with ACID write transactions
 * and snapshot read transactions that never block) holding three named databases:
 * - `docs`: each document under its collection's number (4 bytes, big-endian) and its encoded `_id` key: its
 *   record number (8 bytes) then its BSON;
 * - `natural`: each document's encoded `_id` under its collection's number and record number, numbers given in
 *   insertion order and kept by replacements: a collection scan's order (MongoDB's natural order);
 * - `entries`: each index entry, empty, under its index's number, the encoded key, the document's `_id` key and the
 *   key's length (2 bytes), so a scan of a key range is a scan of the store in key order (see index-entries.ts);
 * - `catalog`: each collection's name, number, options and indexes (JSON), and the next free number.
 *
 * Every write runs inside `write` (a synchronous lmdb transaction, nested calls join the outer one). Commits do not
 * fsync: the data is in the file (the OS's page cache) once `write` returns, so a killed process loses nothing;
 * `Durability` fsyncs the file as the configured policy asks.
 */
import fs from 'node:fs';
import path from 'node:path';
import { open, type Database, type RootDatabase, type Transaction as ReadTxn } from 'lmdb';

export type { ReadTxn };

export const STORE_DIR = 'store';
export const STORE_FILE = 'data.mdb';

export interface CatalogEntry {
  id: number;
  options: Record<string, unknown>;
  indexes: Array<{ id: number; spec: Record<string, unknown>; multikey: number[][] }>;
}

/**
 * The page size of a new store. A page split leaves two pages about half full, and documents keyed by ids written in
 * ascending order land in the middle of the tree, where each split page stays so: a 4 KB page then held one FHIR-sized
 * document of 2 KB (100k of them: 3,767 bytes of docs pages per document), an 8 KB page holds three (2,745 bytes).
 */
const PAGE_SIZE = 8192;

// (No collection's namespace has a '$' in its database name.)
const NEXT_ID = '$next';

export class Store {
  private env!: RootDatabase;
  docs!: Database<Buffer, Buffer>;
  entries!: Database<Buffer, Buffer>;
  natural!: Database<Buffer, Buffer>;
  private catalogDb!: Database<unknown, string>;
  private depth = 0;
  /** Set while a compaction copies and swaps the file: commands wait for it before they run. */
  paused?: Promise<void>;

  constructor(readonly dir: string) {
    this.openEnv();
  }

  private openEnv(): void {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    // noSync: commits reach the file (so survive a killed process) without an fsync each; Durability adds those.
    // Every open transaction holds a reader slot for its snapshot (lmdb's default is 126). The page size applies to a
    // new store only: an existing one keeps the size it was made with.
    this.env = open({ path: this.dir, noSync: true, maxDbs: 8, overlappingSync: false, maxReaders: 4096, pageSize: PAGE_SIZE });
    // lmdb creates its files under the umask: the store is the owner's alone, like every file of the data directory.
    for (const f of [STORE_FILE, 'lock.mdb']) fs.chmodSync(path.join(this.dir, f), 0o600);
    this.docs = this.env.openDB({ name: 'docs', encoding: 'binary', keyEncoding: 'binary' });
    this.entries = this.env.openDB({ name: 'entries', encoding: 'binary', keyEncoding: 'binary' });
    this.natural = this.env.openDB({ name: 'natural', encoding: 'binary', keyEncoding: 'binary' });
    this.catalogDb = this.env.openDB({ name: 'catalog', encoding: 'json', keyEncoding: 'ordered-binary' });
  }

  get file(): string {
    return path.join(this.dir, STORE_FILE);
  }

  /**
   * Runs `fn` in one write transaction (or the one already open): all of its writes commit together when it returns,
   * or none if it throws. A promise it returns is handed back as it is: what runs after it resolves is outside.
   */
  write<T>(fn: () => T): T {
    if (this.depth > 0) return fn();
    this.depth++;
    try {
      let out: T;
      // (lmdb would keep the transaction open until a returned promise settles.)
      this.env.transactionSync(() => {
        out = fn();
      });
      return out!;
    } finally {
      this.depth--;
    }
  }

  get writing(): boolean {
    return this.depth > 0;
  }

  /** A snapshot of the committed state, for a transaction's reads until `done()`. */
  snapshot(): ReadTxn {
    return this.env.useReadTransaction();
  }

  catalog(): Map<string, CatalogEntry> {
    const out = new Map<string, CatalogEntry>();
    for (const { key, value } of this.catalogDb.getRange({})) if (key !== NEXT_ID) out.set(key, value as CatalogEntry);
    return out;
  }

  putCatalog(ns: string, entry: CatalogEntry): void {
    this.write(() => this.catalogDb.putSync(ns, entry));
  }

  removeCatalog(ns: string): void {
    this.write(() => this.catalogDb.removeSync(ns));
  }

  /** A number for a new collection or index, never given out before in this store. */
  nextId(): number {
    return this.write(() => {
      const id = ((this.catalogDb.get(NEXT_ID) as number | undefined) ?? 0) + 1;
      this.catalogDb.putSync(NEXT_ID, id);
      return id;
    });
  }

  /** Deletes every key starting with `prefix` in `db`. */
  clearPrefix(db: Database<Buffer, Buffer>, prefix: Buffer): void {
    this.write(() => {
      for (;;) {
        const keys = [...db.getKeys({ start: prefix, end: prefixEnd(prefix), limit: 10_000 })];
        for (const k of keys) db.removeSync(k);
        if (keys.length < 10_000) return;
      }
    });
  }

  /**
   * A consistent copy of the store as `<dir>/data.mdb` (dir created owner-only, the file must not exist), taken from
   * one snapshot while writes go on; `compact` leaves freed pages out.
   */
  async copyTo(dir: string, compact: boolean): Promise<void> {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    await this.env.backup(dir, compact);
    fs.chmodSync(path.join(dir, STORE_FILE), 0o600);
  }

  /** Replaces the store's file by `file` (a compacted copy): closes the environment, renames, opens again. */
  async swapIn(file: string): Promise<void> {
    await this.env.close();
    fs.renameSync(file, this.file);
    fs.rmSync(path.join(this.dir, 'lock.mdb'), { force: true });
    this.openEnv();
  }

  close(): Promise<void> {
    return this.env.close();
  }
}

/** The first key after every key that starts with `prefix`. */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.concat([prefix, Buffer.from([0xff])]);
}

export function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n);
  return b;
}
