import type { Db } from 'mongodb';
import type { StoredDocument } from './stored-document';
import { isDuplicateKey } from './write-buffer';

/** A range of `_id`s, bounds included. */
export interface IdRange {
  $gte: string;
  $lte: string;
}

/**
 * The AuditEvent collection as the audit trail writes and checks it. The trail stores its events outside the
 * repository (in batches, off the request path, hash-chained), but the collection holds resources like any other:
 * its documents are StoredDocuments (built with `storedDocumentOf`), AuditEvent is append-only so they are their
 * own history (src/store/append-only-history.ts), and the queries on them are the store's.
 */
export class AuditCollection {
  static readonly TYPE = 'AuditEvent';

  constructor(private readonly db: Db) {}

  private get documents() {
    return this.db.collection<StoredDocument>(AuditCollection.TYPE);
  }

  /**
   * Stores `docs` in one transaction, in order: whole, or not at all. False when one of their ids is taken already
   * (another writer stored events under them first), and nothing was stored.
   */
  async insertAll(docs: StoredDocument[]): Promise<boolean> {
    const session = this.db.client.startSession();
    try {
      await session.withTransaction(async () => {
        await this.documents.insertMany(docs, { session, ordered: true });
      });
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    } finally {
      await session.endSession();
    }
  }

  /** The document with the highest id in `ids` (the newest of the trail's sequence ids), its text only. */
  last(ids: IdRange): Promise<Pick<StoredDocument, '_id' | 'r'> | null> {
    return this.documents.find({ _id: ids }, { sort: { _id: -1 }, limit: 1, projection: { r: 1 } }).next();
  }

  /** Every document, in id order (chain order for the trail's ids), for the chain check. */
  inIdOrder(): AsyncIterable<StoredDocument> {
    return this.documents.find({}, { sort: { _id: 1 }, batchSize: 1000 });
  }
}
