import type { Patient, Resource } from 'fhir/r4';
import type { Db } from 'mongodb';
import { startEmbeddedMongo } from '@fhirstone/embedded-mongo';
import { Matcher, shippedMatchConfig } from '../../src/matching';
import { withMatchKeys } from '../../src/matching/index-entries';
import { MATCH_KEYS_RECORD } from '../../src/matching/rekey';
import { SEARCH_INDEX_FORMAT, SearchContext, buildSearchIndex, searchIndexSpecs } from '../../src/search';
import { META_COLLECTION } from '../../src/store/index-format';
import { withServerMeta } from '../../src/store/resource-text';
import { Store } from '../../src/store/store';
import { historyCollectionName, storedDocumentOf } from '../../src/store/stored-document';
import type { Population } from './patient-population';

/**
 * Writes a generated population's Patients into an embedded store directly through the driver, as the repository
 * would have written them (current and history documents, the search index with the blocking keys, the index
 * format and keys fingerprint recorded), so the matching bench starts the server on 100,000 Patients in a minute
 * rather than the many minutes HTTP ingest takes.
 */
/** The server's indexer as the benches need it: the search layer's index, with a Patient's blocking keys. */
export function serverIndexer(search: SearchContext, matcher = new Matcher(shippedMatchConfig())) {
  return (r: Resource) => withMatchKeys(buildSearchIndex(search, r), r, matcher);
}

/** Records the keys fingerprint as the server does, so it does not key every Patient again at start-up. */
export async function recordMatchKeys(db: Db, matcher = new Matcher(shippedMatchConfig())): Promise<void> {
  await db
    .collection<{ _id: string; fingerprint: string }>(META_COLLECTION)
    .updateOne({ _id: MATCH_KEYS_RECORD }, { $set: { fingerprint: matcher.config.keysFingerprint } }, { upsert: true });
}

export async function buildMatchStore(dataDir: string, population: Population, dbName = 'fhir'): Promise<{ patients: number; seconds: number }> {
  const started = process.hrtime.bigint();
  const search = new SearchContext();
  const matcher = new Matcher(shippedMatchConfig());
  const index = serverIndexer(search, matcher);
  const engine = await startEmbeddedMongo({ dataDir, fsync: 'never', compactAtBytes: Infinity });
  const store = await Store.connect({
    uri: engine.uri,
    dbName,
    searchIndexSpecs: (type) => searchIndexSpecs(search, type),
    indexFormat: { ...SEARCH_INDEX_FORMAT, index },
  });
  try {
    const lu = new Date();
    const current = store.db.collection('Patient');
    const history = store.db.collection(historyCollectionName('Patient'));
    for (let i = 0; i < population.patients.length; i += 1000) {
      const docs = population.patients.slice(i, i + 1000).map((p) => {
        const stored = withServerMeta(p, p.id as string, 1, lu) as Patient;
        return storedDocumentOf(stored.id as string, 1, lu, stored, index(stored));
      });
      await current.insertMany(docs as never[], { ordered: false });
      await history.insertMany(docs.map((d) => ({ _id: `${d._id}/1`, id: d._id, vid: 1, lu, del: false, op: 'create', r: d.r, c: d.c })) as never[], { ordered: false });
    }
    await store.ensureType('Patient');
    await recordMatchKeys(store.db, matcher);
    await engine.compact();
    return { patients: population.patients.length, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  } finally {
    await store.close();
    await engine.stop();
  }
}
