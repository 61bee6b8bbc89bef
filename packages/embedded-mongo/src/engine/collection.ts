/**
 * A collection: its documents in the store as BSON under the collection's number and each `_id`'s encoded key, and
 * its indexes, whose entries are in the store too (secondary-index.ts). Reads take the latest committed state or a
 * transaction's snapshot (an lmdb read transaction); writes run inside a store write transaction. The only state
 * held in memory is the catalog (names, options, index specs and multikey paths), the document count, and for
 * write-conflict checks the commit time of documents written while a transaction is open.
 */
import { createHash } from 'node:crypto';
import { BSON } from 'bson';
import { duplicateKey } from '../errors';
import { Doc } from '../query/matcher';
import { takeReceived } from '../storage/received-bytes';
import { prefixEnd, u32, type CatalogEntry, type ReadTxn, type Store } from '../storage/store';
import { encodeKey } from '../values/key-encoding';
import { rememberStored } from './stored-bytes';
import { IndexSpec, SecondaryIndex } from './secondary-index';

export const ID_INDEX: IndexSpec = { v: 2, key: { _id: 1 }, name: '_id_' };

/** As the wire deserialises (messages.ts): documents read back are the documents received. */
const DESERIALIZE = { bsonRegExp: true, promoteLongs: true, promoteValues: true } as const;
/** Documents read from the store at a time by a collection scan. */
const SCAN_CHUNK = 256;

export function idKeyOf(id: unknown): string {
  return encodeKey(id);
}

/**
 * The longest encoded `_id` stored as the document's key. lmdb keys hold at most 1978 bytes, and MongoDB takes ids of
 * any length: a longer id is stored under its first MAX_ID_BYTES bytes and its SHA-256 (a key longer than any
 * plain one, so the two forms never meet). Only `_id` order among such ids, where their first bytes are equal,
 * differs from the index's; the `_id` index itself (index-entries.ts) keeps the true order.
 */
const MAX_ID_BYTES = 1900;

/** Bytes before a stored document's BSON: its record number (natural order), big-endian. */
const RECORD_BYTES = 8;

/**
 * The document of a stored value (record number, then BSON). `keepBytes`: the document keeps its BSON for the reply
 * (engine/stored-bytes.ts); only a find asks, since the bytes then live as long as the document.
 */
export function decodeDocument(value: Buffer, keepBytes = false): Doc {
  const bytes = value.subarray(RECORD_BYTES);
  const doc = BSON.deserialize(bytes, DESERIALIZE) as Doc;
  // lmdb hands out a copy of the value (binary encoding), so the bytes stay valid as long as the document lives.
  if (keepBytes) rememberStored(doc, bytes);
  return doc;
}

function recordOf(value: Buffer): Buffer {
  return value.subarray(0, RECORD_BYTES);
}

function recordKey(n: number): Buffer {
  const b = Buffer.alloc(RECORD_BYTES);
  b.writeUIntBE(n, RECORD_BYTES - 6, 6);
  return b;
}

/** The value to store for `doc`: its record number, then the bytes it arrived in when the wire kept them, else serialised. */
function storedValue(record: Buffer, doc: Doc): Buffer {
  return Buffer.concat([record, takeReceived(doc) ?? BSON.serialize(doc)]);
}

export class Collection {
  readonly indexes = new Map<string, SecondaryIndex>();
  /** Commit time of documents written since the oldest open transaction's snapshot (for write conflicts). */
  readonly recent = new Map<string, number>();
  private count?: number;
  /** The next record number (natural order), found from the store at the first insert. */
  private nextRecord?: number;
  private readonly prefix: Buffer;
  private readonly end: Buffer;

  constructor(
    readonly dbName: string,
    readonly name: string,
    readonly options: Doc,
    private readonly store: Store,
    readonly id: number,
    indexes: CatalogEntry['indexes'],
    /** Saves this collection's catalog entry (multikey paths learnt by a write). */
    private readonly saveCatalog: (coll: Collection) => void,
  ) {
    this.prefix = u32(id);
    this.end = prefixEnd(this.prefix);
    for (const { id: indexId, spec, multikey } of indexes) {
      const index = new SecondaryIndex(spec as IndexSpec, store, indexId, multikey);
      this.indexes.set(index.name, index);
    }
  }

  get ns(): string {
    return `${this.dbName}.${this.name}`;
  }

  /** The same collection (documents, indexes) under another name. */
  renamed(dbName: string, name: string): Collection {
    const moved = new Collection(dbName, name, this.options, this.store, this.id, [], this.saveCatalog);
    for (const [k, v] of this.indexes) moved.indexes.set(k, v);
    moved.count = this.count;
    moved.nextRecord = this.nextRecord;
    return moved;
  }

  catalogEntry(): CatalogEntry {
    return { id: this.id, options: this.options, indexes: [...this.indexes.values()].map((i) => ({ id: i.id, spec: i.spec as Doc, multikey: i.multikeyPaths })) };
  }

  private key(id: string): Buffer {
    if (id.length > MAX_ID_BYTES)
      return Buffer.concat([this.prefix, Buffer.from(id.slice(0, MAX_ID_BYTES), 'latin1'), createHash('sha256').update(id, 'latin1').digest()]);
    const out = Buffer.allocUnsafe(4 + id.length);
    this.prefix.copy(out, 0);
    out.write(id, 4, 'latin1');
    return out;
  }

  /** The document in the snapshot `txn` (or the latest committed state), or null when absent; `keepBytes` as decodeDocument. */
  visible(id: string, txn?: ReadTxn, keepBytes = false): Doc | null {
    const bytes = this.store.docs.get(this.key(id), txn && { transaction: txn });
    return bytes === undefined ? null : decodeDocument(bytes, keepBytes);
  }

  exists(id: string, txn?: ReadTxn): boolean {
    return this.store.docs.get(this.key(id), txn && { transaction: txn }) !== undefined;
  }

  /** When `id` was last committed, if since the oldest open transaction's snapshot (else 0). */
  headTs(id: string): number {
    return this.recent.get(id) ?? 0;
  }

  get liveCount(): number {
    this.count ??= this.store.docs.getCount({ start: this.prefix, end: this.end });
    return this.count;
  }

  /**
   * Finds a committed document (other than `id` and those in `ignore`) that holds one of `doc`'s unique keys.
   * Returns the violated index and the holder's id, or undefined.
   */
  findUniqueClash(id: string, doc: Doc, ignore?: { has(id: string): boolean }): { index: SecondaryIndex; holder: string } | undefined {
    for (const index of this.indexes.values()) {
      // The _id index: one document per id by construction (inserts check the id, replacements keep it).
      if (!index.unique || index.name === ID_INDEX.name) continue;
      for (const key of index.keysOf(doc)) {
        for (const other of index.idsAt(key)) {
          if (other === id || ignore?.has(other)) continue;
          return { index, holder: other };
        }
      }
    }
    return undefined;
  }

  duplicateError(index: SecondaryIndex, doc: Doc) {
    const keyValue: Record<string, unknown> = {};
    for (const f of index.fields) {
      let v: unknown = doc;
      for (const p of f.parts) v = v && typeof v === 'object' ? (v as Doc)[p] : undefined;
      keyValue[f.path] = v === undefined ? null : v;
    }
    return duplicateKey(this.ns, index.name, index.spec.key, keyValue);
  }

  /** Throws 11000 if `doc` would break a unique index (checked against the latest committed state). */
  assertUnique(id: string, doc: Doc, ignore?: { has(id: string): boolean }): void {
    const clash = this.findUniqueClash(id, doc, ignore);
    if (clash) throw this.duplicateError(clash.index, doc);
  }

  /**
   * Computes every index's keys first so a parallel-arrays error leaves the collection untouched. `hold` keeps
   * them until the document is committed (a transaction's write, installed later).
   */
  validateIndexable(doc: Doc, hold = false): void {
    for (const index of this.indexes.values()) index.keysOf(doc);
    if (hold) for (const index of this.indexes.values()) index.hold(doc);
  }

  /**
   * Stores a committed version (null: deletes it) with its index entries, inside one store write. `track`: a
   * transaction is open, which must learn of this commit's time to detect write conflicts.
   */
  commit(id: string, doc: Doc | null, ts: number, track: boolean): void {
    const key = this.key(id);
    this.store.write(() => {
      const oldBytes = this.store.docs.get(key);
      if (oldBytes === undefined && doc === null) return;
      const prev = oldBytes === undefined ? undefined : decodeDocument(oldBytes);
      // (Copied now: lmdb may reuse the buffer it read into.)
      const oldRecord = oldBytes === undefined ? undefined : Buffer.from(recordOf(oldBytes));
      let multikeyChanged = false;
      for (const index of this.indexes.values()) {
        const keys = doc ? index.keysOf(doc) : [];
        const old = prev ? index.keysOf(prev) : [];
        index.remove(id, without(old, keys));
        index.add(id, without(keys, old));
        if (doc) index.release(doc);
        if (index.takeMultikeyChange()) multikeyChanged = true;
      }
      const { natural } = this.store;
      if (oldRecord !== undefined && doc === null) natural.removeSync(Buffer.concat([this.prefix, oldRecord]));
      if (doc) {
        // A replacement keeps its place in natural order, as MongoDB keeps its record id.
        const record = oldRecord ?? this.newRecord();
        if (oldRecord === undefined) natural.putSync(Buffer.concat([this.prefix, record]), Buffer.from(id, 'latin1'));
        this.store.docs.putSync(key, storedValue(record, doc));
      } else this.store.docs.removeSync(key);
      if (this.count !== undefined) this.count += (doc ? 1 : 0) - (prev ? 1 : 0);
      if (multikeyChanged) this.saveCatalog(this);
    });
    if (track) this.recent.set(id, ts);
  }

  private newRecord(): Buffer {
    if (this.nextRecord === undefined) {
      const last = [...this.store.natural.getKeys({ start: this.end, end: this.prefix, reverse: true, limit: 1 })][0];
      this.nextRecord = last === undefined ? 1 : last.readUIntBE(4 + RECORD_BYTES - 6, 6) + 1;
    }
    return recordKey(this.nextRecord++);
  }

  /** Builds a new index over every document; throws 11000 (and leaves nothing) on a unique violation. */
  addIndex(spec: IndexSpec, indexId: number): SecondaryIndex {
    const index = new SecondaryIndex(spec, this.store, indexId);
    if (index.unique) this.assertUniqueDocs(index);
    index.build(this.liveDocs());
    index.takeMultikeyChange();
    this.indexes.set(spec.name, index);
    return index;
  }

  private assertUniqueDocs(index: SecondaryIndex): void {
    const seen = new Map<string, string>();
    for (const [id, doc] of this.liveDocs()) {
      for (const k of index.keysOf(doc)) {
        const other = seen.get(k);
        if (other !== undefined && other !== id) throw this.duplicateError(index, doc);
        seen.set(k, id);
      }
    }
  }

  /** Removes every document and index entry (dropping the collection). */
  clear(): void {
    this.store.write(() => {
      this.store.clearPrefix(this.store.docs, this.prefix);
      this.store.clearPrefix(this.store.natural, this.prefix);
      for (const index of this.indexes.values()) index.clear();
    });
    this.count = 0;
    this.nextRecord = undefined;
  }

  /** Ids of the documents in natural (insertion) order, in the snapshot `txn` or the latest state, read in chunks. */
  *ids(txn?: ReadTxn): Generator<string> {
    let start = this.prefix;
    let exclusive = false;
    for (;;) {
      const chunk = [...this.store.natural.getRange({ start, end: this.end, exclusiveStart: exclusive, limit: SCAN_CHUNK, transaction: txn })];
      for (const { value } of chunk) yield value.toString('latin1');
      if (chunk.length < SCAN_CHUNK) return;
      start = chunk[chunk.length - 1].key;
      exclusive = true;
    }
  }

  /** The documents in `_id` order (latest state unless `txn`), read in chunks. */
  *liveDocs(txn?: ReadTxn): Generator<[string, Doc]> {
    for (const [id, bytes] of this.entries(txn)) yield [id, decodeDocument(bytes)];
  }

  private *entries(txn: ReadTxn | undefined): Generator<[string, Buffer]> {
    let start = this.prefix;
    let exclusive = false;
    for (;;) {
      const range = { start, end: this.end, exclusiveStart: exclusive, limit: SCAN_CHUNK, transaction: txn };
      const chunk = [...this.store.docs.getRange(range)].map(({ key, value }): [Buffer, Buffer] => [key, value]);
      for (const [key, value] of chunk) yield [key.length > 4 + MAX_ID_BYTES ? idKeyOf(decodeDocument(value)._id) : key.toString('latin1', 4), value];
      if (chunk.length < SCAN_CHUNK) return;
      start = chunk[chunk.length - 1][0];
      exclusive = true;
    }
  }
}

function without(keys: string[], old: string[]): string[] {
  if (old.length === 0) return keys;
  if (old.length <= 8) return keys.filter((k) => !old.includes(k));
  const set = new Set(old);
  return keys.filter((k) => !set.has(k));
}
