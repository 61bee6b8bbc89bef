import type { AnyBulkWriteOperation, Db } from 'mongodb';
import type { Resource } from 'fhir/r4';
import { historyIsCurrent } from './append-only-history';
import { META_COLLECTION } from './index-format';
import { type HistoryDocument, type Indexer, historyCollectionName, referencesOutside } from './stored-document';

/** Recorded in `fhirstone_meta` once every past version has its `pr` (HistoryDocument). */
const RECORD_ID = 'history-patient-refs';
const BATCH = 500;

/**
 * Gives the past versions of a store written before history kept `pr` (the patients a version names outside its
 * compartments) that field, once: certified destruction finds a destroyed patient's references in the history of
 * shared resources by it. Each version is indexed from its text; a start cut short does it again.
 */
export async function ensureHistoryReferences(db: Db, types: readonly string[], index: Indexer): Promise<void> {
  const meta = db.collection<{ _id: string; done?: boolean }>(META_COLLECTION);
  if ((await meta.findOne({ _id: RECORD_ID }))?.done) return;
  for (const type of types) {
    if (historyIsCurrent(type)) continue;
    const history = db.collection<HistoryDocument>(historyCollectionName(type));
    let batch: AnyBulkWriteOperation<HistoryDocument>[] = [];
    for await (const doc of history.find({ pr: { $exists: false } }, { projection: { r: 1, c: 1 } })) {
      const pr = referencesOutside({ s: index(JSON.parse(doc.r) as Resource).s, c: doc.c });
      if (pr.length) batch.push({ updateOne: { filter: { _id: doc._id }, update: { $set: { pr } } } });
      if (batch.length >= BATCH) {
        await history.bulkWrite(batch, { ordered: false });
        batch = [];
      }
    }
    if (batch.length) await history.bulkWrite(batch, { ordered: false });
  }
  await meta.updateOne({ _id: RECORD_ID }, { $set: { done: true } }, { upsert: true });
}
