import type { ClientSession, Db, Document } from 'mongodb';
import { conflict } from '../errors/operation-outcome-error';

const DUPLICATE_KEY = 11000;

/** Whether a write failed because a document with one of its unique keys (`_id`) exists already. */
export function isDuplicateKey(err: unknown): boolean {
  // A bulk insert may report the duplicate only among its write errors.
  const e = err as { code?: unknown; writeErrors?: Array<{ code?: unknown }> } | undefined;
  return e?.code === DUPLICATE_KEY || (e?.writeErrors ?? []).some((w) => w.code === DUPLICATE_KEY);
}

/**
 * Inserts a transaction defers until it next reads the same collection (or commits), so a 5,000-entry bundle
 * costs one `insert` command per collection instead of two round trips per entry. Reads of a collection flush
 * its pending inserts first, so the transaction always sees its own writes.
 */
export class WriteBuffer {
  private readonly pending = new Map<string, Document[]>();

  add(collection: string, doc: Document): void {
    let list = this.pending.get(collection);
    if (!list) this.pending.set(collection, (list = []));
    list.push(doc);
  }

  has(collection: string): boolean {
    return (this.pending.get(collection)?.length ?? 0) > 0;
  }

  /** Writes the pending inserts of one collection, or of all when none is named. */
  async flush(db: Db, session: ClientSession, collection?: string): Promise<void> {
    const names = collection ? [collection] : [...this.pending.keys()];
    for (const name of names) {
      const docs = this.pending.get(name);
      if (!docs?.length) continue;
      this.pending.delete(name);
      try {
        await db.collection(name).insertMany(docs, { session, ordered: true });
      } catch (err) {
        if (isDuplicateKey(err)) throw conflict(`A resource in ${name.replace(/_history$/, '')} was created concurrently`);
        throw err;
      }
    }
  }
}
