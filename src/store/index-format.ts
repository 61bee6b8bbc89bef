import type { AnyBulkWriteOperation, Db } from 'mongodb';
import type { Resource } from 'fhir/r4';
import type { Indexer, StoredDocument } from './stored-document';

/**
 * The layout of the search index (`s`) in stored documents, as a number the store records. When the code writes a
 * newer layout than the data on disk holds, every current document is indexed again from its resource text before
 * the server serves, so queries never miss resources indexed the old way.
 */
export interface IndexFormat {
  /** The layout the running code writes and queries. */
  version: number;
  /** Computes `s` and `c` of a resource (the search layer's index-on-write). */
  index: Indexer;
  /** Index names earlier layouts created that this one no longer has (dropped before re-indexing). */
  obsoleteIndexes: readonly string[];
  /** Progress of a re-index, for the log: every few seconds and when a type is done. */
  onProgress?: (event: { type: string; done: number; finished: boolean; format: { from: number; to: number } }) => void;
}

/** Not a resource type (types start with a capital), so no listing of types ever sees it. */
export const META_COLLECTION = 'fhirstone_meta';
const FORMAT_ID = 'search-index-format';
/** A store written before the layout was recorded. */
const UNRECORDED_FORMAT = 1;
const BATCH = 500;
const PROGRESS_EVERY_MS = 5_000;

interface FormatRecord {
  _id: string;
  version: number;
}

/**
 * Brings the stored search index of `types` to `format.version`, then records it. Idempotent: a start cut short
 * during a re-index finds the old version recorded and starts over. Refuses data written by a newer layout, which
 * this code would query wrongly.
 */
export async function ensureIndexFormat(db: Db, types: readonly string[], format: IndexFormat): Promise<void> {
  const meta = db.collection<FormatRecord>(META_COLLECTION);
  const recorded = (await meta.findOne({ _id: FORMAT_ID }))?.version ?? (types.length ? UNRECORDED_FORMAT : format.version);
  if (recorded > format.version) {
    throw new Error(`the store's search index has format ${recorded}, newer than this server's (${format.version}): run the newer server version`);
  }
  if (recorded < format.version) {
    for (const type of types) await reindexType(db, type, format, recorded);
  }
  await meta.updateOne({ _id: FORMAT_ID }, { $set: { version: format.version } }, { upsert: true });
}

async function reindexType(db: Db, type: string, format: IndexFormat, from: number): Promise<void> {
  const coll = db.collection<StoredDocument>(type);
  const existing = new Set((await coll.indexes()).map((i) => i.name));
  // Dropped first, so the writes below do not maintain indexes nothing will read.
  for (const name of format.obsoleteIndexes) if (existing.has(name)) await coll.dropIndex(name);
  let batch: AnyBulkWriteOperation<StoredDocument>[] = [];
  let done = 0;
  let told = Date.now();
  const flush = async (finished = false) => {
    if (batch.length) await coll.bulkWrite(batch, { ordered: false });
    done += batch.length;
    batch = [];
    if (finished || Date.now() - told >= PROGRESS_EVERY_MS) {
      told = Date.now();
      format.onProgress?.({ type, done, finished, format: { from, to: format.version } });
    }
  };
  // Streamed: a store of millions is never held in memory.
  for await (const doc of coll.find({}, { projection: { r: 1 } })) {
    const { s, c } = format.index(JSON.parse(doc.r) as Resource);
    batch.push({ updateOne: { filter: { _id: doc._id }, update: { $set: { s, c } } } });
    if (batch.length >= BATCH) await flush();
  }
  await flush(true);
}

/**
 * Brings data another layer derives into one type's search index (a Patient's match keys, src/matching/) in step
 * with how that layer derives it now: `fingerprint` names the derivation, recorded in `fhirstone_meta` under `id`;
 * when the recorded one differs (or none is, as in a store written before the layer existed), every current
 * document of `type` is indexed again with `index` before the fingerprint is recorded. True when it re-indexed.
 */
export async function ensureDerivedIndex(
  db: Db,
  opts: { id: string; type: string; fingerprint: string; index: Indexer; onProgress?: (event: { done: number; finished: boolean }) => void },
): Promise<boolean> {
  const meta = db.collection<{ _id: string; fingerprint?: string }>(META_COLLECTION);
  if ((await meta.findOne({ _id: opts.id }))?.fingerprint === opts.fingerprint) return false;
  const stored = (await db.listCollections({ name: opts.type }, { nameOnly: true }).toArray()).length > 0;
  if (stored) await reindexType(db, opts.type, { version: 0, index: opts.index, obsoleteIndexes: [], onProgress: (e) => opts.onProgress?.(e) }, 0);
  await meta.updateOne({ _id: opts.id }, { $set: { fingerprint: opts.fingerprint } }, { upsert: true });
  return stored;
}
