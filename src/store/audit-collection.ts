import type { Db, Filter, IndexDescription } from 'mongodb';
import type { StoredDocument } from './stored-document';
import { isDuplicateKey } from './write-buffer';
import { runTransaction } from './transactions';

/** A range of `_id`s, bounds included. */
export interface IdRange {
  $gte: string;
  $lte: string;
}

/** An inclusive period. */
export interface Period {
  start: Date;
  end: Date;
}

/**
 * Indexes of the AuditEvent collection beyond every type's (src/store/store.ts creates them with the type's):
 * `disclosures` finds a patient's disclosures in a period among all the events naming the patient (a document has
 * `d` only when its event records a disclosure, so the sparse index holds nothing else); `compartment_time` finds
 * every event naming a patient in a period (the access report).
 */
export const AUDIT_INDEXES: IndexDescription[] = [
  { key: { 'd.p': 1, 'd.at': 1 }, name: 'disclosures', sparse: true },
  { key: { c: 1, lu: 1 }, name: 'compartment_time' },
];

/** Events recording a disclosure of any of `patients` (`Patient/<id>`) made within `period`. */
export function disclosuresOf(patients: readonly string[], period: Period): Filter<StoredDocument> {
  return { 'd.p': { $in: [...patients] }, 'd.at': { $gte: period.start, $lte: period.end } };
}

/** Events naming any of `patients` (`Patient/<id>`), stored within `period`. */
export function eventsNaming(patients: readonly string[], period: Period): Filter<StoredDocument> {
  return { c: { $in: [...patients] }, lu: { $gte: period.start, $lte: period.end } };
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
    try {
      // Acknowledged as a resource write is: the request it audits is answered only then.
      await runTransaction(this.db.client, (session) => this.documents.insertMany(docs, { session, ordered: true }));
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
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
