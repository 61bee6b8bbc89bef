import { randomBytes } from 'node:crypto';
import { Binary, type ClientSession, type Db } from 'mongodb';

/**
 * The keys of crypto-shredding: one random AES-256 key per patient (`Patient/<id>`), and one for text that names no
 * patient (`server`), under which the audit trail encrypts the identifying text it keeps (src/audit/query-text.ts).
 * Destroying a record shreds its key: the document is replaced by a tombstone, so the text stays unreadable in the
 * database, its backups and its exports, while the events (and their hash chain) stay whole. A tombstone also
 * stops a key from being made again for an event queued before the destruction and written after it.
 */
export const RECORD_KEYS_COLLECTION = 'record_keys';
export const SERVER_KEY = 'server';

interface KeyDocument {
  _id: string;
  k?: Binary;
  shreddedAt?: Date;
}

export class RecordKeys {
  constructor(private readonly db: Db) {}

  private get keys() {
    return this.db.collection<KeyDocument>(RECORD_KEYS_COLLECTION);
  }

  /** A transaction cannot create a collection: this one exists before the first destruction batch. */
  async init(): Promise<void> {
    const existing = await this.db.listCollections({ name: RECORD_KEYS_COLLECTION }, { nameOnly: true }).toArray();
    if (existing.length === 0) await this.db.createCollection(RECORD_KEYS_COLLECTION).catch(() => undefined);
  }

  /** The keys of `owners` (made when missing); a shredded owner has none. */
  async keysFor(owners: readonly string[]): Promise<Map<string, Buffer | undefined>> {
    const unique = [...new Set(owners)];
    let found = await this.lookup(unique);
    const missing = unique.filter((o) => !found.has(o));
    if (missing.length) {
      const ops = missing.map((_id) => ({ updateOne: { filter: { _id }, update: { $setOnInsert: { k: new Binary(randomBytes(32)) } }, upsert: true } }));
      // Two writers making the same key at once: one insert wins, the other's duplicate is harmless.
      await this.keys.bulkWrite(ops, { ordered: false }).catch((err: { code?: number; writeErrors?: unknown[] }) => {
        if (err.code !== 11000 && !err.writeErrors) throw err;
      });
      found = await this.lookup(unique);
    }
    return found;
  }

  /** The keys of `owners` as stored: absent when never made, undefined when shredded. */
  async lookup(owners: readonly string[]): Promise<Map<string, Buffer | undefined>> {
    const docs = await this.keys.find({ _id: { $in: [...owners] } }).toArray();
    return new Map(docs.map((d) => [d._id, d.k ? Buffer.from(d.k.buffer) : undefined]));
  }

  /** Shreds the keys of these patients, inside the destruction batch's transaction. */
  async shred(patientIds: readonly string[], session: ClientSession): Promise<void> {
    const at = new Date();
    for (const id of patientIds) await this.keys.replaceOne({ _id: `Patient/${id}` }, { shreddedAt: at }, { upsert: true, session });
  }
}
