import type { ClientSession, Db } from 'mongodb';
import type { TypeTotals } from './destroy-batch';

/**
 * What each committed batch of a destruction destroyed, written in the batch's own transaction so that a batch is
 * recorded exactly when it happened (a run resumed after a crash finds its last batches here, not in its
 * checkpoint). Read back whole for the certificate, then removed. A destroyed record and its resources appear as
 * their salted hashes only; only records that dropped out (and stay) are named.
 */
export const LEDGER_COLLECTION = 'destruction_ledger';

export interface DestroyedRecord {
  /** Salted hash of `Patient/<id>`. */
  record: string;
  rule: string;
  triggerDate?: string;
  destroyAfter?: string;
  counts: Record<string, number>;
}

export interface LedgerBatch {
  _id: string;
  job: string;
  batch: number;
  records: DestroyedRecord[];
  identities: string[];
  totals: Record<string, TypeTotals>;
  /** Records that dropped out of the batch: their patient and why (for the job's output, not the certificate). */
  dropped: Array<{ patient: string; reason: string }>;
  /**
   * A part of a record too large for one transaction, removed before its batch (src/destruction/large-records.ts):
   * its `records` is empty, its identities and totals count towards the certificate, and the batch's own entry
   * adds `counts` to the record's.
   */
  part?: RecordPart;
}

/** One part of a very large record's destruction. */
export interface RecordPart {
  /** The record's salted hash (as in DestroyedRecord). */
  record: string;
  /** The part's number within the record (0, 1, ...). */
  n: number;
  /** The record's retention as it was when its destruction began (its trigger may be gone with the first part). */
  retention: Omit<DestroyedRecord, 'record' | 'counts'>;
  counts: Record<string, number>;
}

export class Ledger {
  constructor(private readonly db: Db) {}

  private get batches() {
    return this.db.collection<LedgerBatch>(LEDGER_COLLECTION);
  }

  /** A transaction cannot create a collection: this one exists before the first batch. */
  async init(): Promise<void> {
    const existing = await this.db.listCollections({ name: LEDGER_COLLECTION }, { nameOnly: true }).toArray();
    if (existing.length === 0) await this.db.createCollection(LEDGER_COLLECTION).catch(() => undefined);
    await this.batches.createIndex({ job: 1, batch: 1 }, { name: 'job_batches' });
  }

  find(job: string, batch: number): Promise<LedgerBatch | null> {
    return this.batches.findOne({ _id: `${job}/${batch}` });
  }

  async add(entry: LedgerBatch, session: ClientSession): Promise<void> {
    await this.batches.insertOne(entry, { session });
  }

  /** The parts of very large records committed for batch `batch` (a resumed run goes on after the last). */
  parts(job: string, batch: number): Promise<LedgerBatch[]> {
    return this.batches.find({ job, batch, part: { $exists: true } }, { sort: { _id: 1 } }).toArray();
  }

  all(job: string): Promise<LedgerBatch[]> {
    return this.batches.find({ job }, { sort: { batch: 1 } }).toArray();
  }

  async remove(job: string): Promise<void> {
    await this.batches.deleteMany({ job });
  }
}
