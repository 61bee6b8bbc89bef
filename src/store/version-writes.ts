import type { ClientSession, Db } from 'mongodb';
import { conflict, preconditionFailed } from '../errors/operation-outcome-error';
import { type HistoryDocument, type StoredDocument, historyCollectionName, historyDocumentOf } from './stored-document';
import { type WriteBuffer, isDuplicateKey } from './write-buffer';
import { historyIsCurrent } from './append-only-history';

/**
 * meta.lastUpdated of a new version: now, but always later than the version it replaces, so two writes in the same
 * millisecond (or a clock step back) still order a resource's history by time as by version.
 */
export function nextLastUpdated(existing: StoredDocument | null | undefined): Date {
  const now = Date.now();
  return new Date(existing && existing.lu.getTime() >= now ? existing.lu.getTime() + 1 : now);
}

/**
 * The stores of one version, after the repository has applied the policy: MongoDB's answers to concurrent writers
 * become FHIR ones (409, 412). Inside a transaction, inserts go to its WriteBuffer.
 */
export class VersionWrites {
  constructor(
    private readonly db: Db,
    private readonly session?: ClientSession,
    private readonly buffer?: WriteBuffer,
  ) {}

  async insertCurrent(type: string, doc: StoredDocument): Promise<void> {
    if (this.buffer) return this.buffer.add(type, doc);
    try {
      await this.db.collection<StoredDocument>(type).insertOne(doc, { session: this.session });
    } catch (err) {
      if (isDuplicateKey(err)) {
        throw conflict(`${type}/${doc._id} was created concurrently`);
      }
      throw err;
    }
  }

  /** Replaces the current version only if it is still the one read (optimistic concurrency inside the txn). */
  async replaceCurrent(type: string, existing: StoredDocument, doc: StoredDocument): Promise<void> {
    const res = await this.db.collection<StoredDocument>(type).replaceOne({ _id: existing._id, vid: existing.vid }, doc, {
      session: this.session,
    });
    if (res.matchedCount !== 1) throw preconditionFailed(`${type}/${existing._id} was changed concurrently`);
  }

  async insertHistory(type: string, doc: StoredDocument, op: HistoryDocument['op']): Promise<void> {
    if (historyIsCurrent(type)) {
      // The current document is this version's history; any other version would have none (the router refuses them).
      if (op === 'create' && doc.vid === 1) return;
      throw new Error(`internal: ${type} is append-only and cannot have version ${doc.vid} (${op})`);
    }
    const h = historyDocumentOf(doc, op);
    if (this.buffer) return this.buffer.add(historyCollectionName(type), h);
    try {
      await this.db.collection<HistoryDocument>(historyCollectionName(type)).insertOne(h, { session: this.session });
    } catch (err) {
      if (isDuplicateKey(err)) {
        throw preconditionFailed(`${type}/${doc._id} version ${doc.vid} was written concurrently`);
      }
      throw err;
    }
  }
}
