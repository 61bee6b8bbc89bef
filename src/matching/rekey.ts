import type { Db } from 'mongodb';
import { ensureDerivedIndex } from '../store/index-format';
import type { Indexer } from '../store/stored-document';

/** Where the store records the keys fingerprint it was keyed with (`fhirstone_meta`). */
export const MATCH_KEYS_RECORD = 'patient-match-keys';

/**
 * Brings every stored Patient's blocking keys in step with the configuration before the server serves: when the
 * fingerprint recorded differs from the configuration's (blocking keys or nickname groups changed, or a store
 * written before matching existed), every Patient is indexed again from its text with the server's indexer, which
 * writes the keys (streamed in batches). New and changed Patients get theirs at save time.
 */
export async function ensureMatchKeys(
  db: Db,
  fingerprint: string,
  index: Indexer,
  onProgress?: (event: { done: number; finished: boolean }) => void,
): Promise<{ rekeyed: boolean }> {
  return { rekeyed: await ensureDerivedIndex(db, { id: MATCH_KEYS_RECORD, type: 'Patient', fingerprint, index, onProgress }) };
}
