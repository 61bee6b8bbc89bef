import type { Db } from 'mongodb';
import { META_COLLECTION, reindexType } from '../store/index-format';
import type { Indexer } from '../store/stored-document';

const KEYS_ID = 'patient-match-keys';

interface KeysRecord {
  _id: string;
  fingerprint: string;
}

/**
 * Brings every stored Patient's blocking keys in step with the configuration before the server serves: the store
 * records the keys fingerprint it was keyed with (`fhirstone_meta`, `patient-match-keys`); when the configuration's
 * differs (blocking keys or nickname groups changed, or a store written before matching existed), every Patient is
 * indexed again from its text with the server's indexer, which writes the keys (streamed in batches, logged). New
 * and changed Patients get theirs at save time.
 */
export async function ensureMatchKeys(
  db: Db,
  fingerprint: string,
  index: Indexer,
  onProgress?: (event: { done: number; finished: boolean }) => void,
): Promise<{ rekeyed: boolean }> {
  const meta = db.collection<KeysRecord>(META_COLLECTION);
  if ((await meta.findOne({ _id: KEYS_ID }))?.fingerprint === fingerprint) return { rekeyed: false };
  const stored = await db.listCollections({ name: 'Patient' }, { nameOnly: true }).toArray();
  if (stored.length) {
    await reindexType(db, 'Patient', { version: 0, index, obsoleteIndexes: [], onProgress: ({ done, finished }) => onProgress?.({ done, finished }) }, 0);
  }
  await meta.updateOne({ _id: KEYS_ID }, { $set: { fingerprint } }, { upsert: true });
  return { rekeyed: stored.length > 0 };
}
