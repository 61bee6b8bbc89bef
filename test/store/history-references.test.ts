import type { Observation, Resource } from 'fhir/r4';
import { MongoClient } from 'mongodb';
import { startEmbeddedMongo, type EmbeddedMongo } from '@fhirstone/embedded-mongo';
import { SEARCH_INDEX_FORMAT, SearchContext, buildSearchIndex, searchIndexSpecs } from '../../src/search';
import { Store } from '../../src/store/store';
import { type HistoryDocument, type StoredDocument, historyDocumentOf, storedDocumentOf } from '../../src/store/stored-document';

/**
 * Past versions keep the patients they name outside their compartments (`pr`), so certified destruction finds them
 * in the history of shared resources; a store written before they did gets them when the server connects.
 */
let engine: EmbeddedMongo | undefined;
let uri: string;
let client: MongoClient;
beforeAll(async () => {
  if (process.env.MONGODB_URI) uri = process.env.MONGODB_URI;
  else uri = (engine = await startEmbeddedMongo({})).uri;
  client = await new MongoClient(uri).connect();
});
afterAll(async () => {
  await client.close();
  await engine?.stop();
});

const search = new SearchContext();
const index = (resource: Resource) => buildSearchIndex(search, resource);
const observation: Observation = {
  resourceType: 'Observation',
  id: 'o1',
  status: 'final',
  code: { text: 'family history' },
  subject: { reference: 'Patient/p1' },
  focus: [{ reference: 'Patient/p2' }],
};
const version = (resource: Resource) => historyDocumentOf(storedDocumentOf('o1', 1, new Date(), resource, index(resource)), 'create');

it('a past version names the patients it references outside its compartments', () => {
  expect(version(observation).pr).toEqual(['Patient/p2']);
  expect(version({ ...observation, focus: undefined } as Observation).pr).toBeUndefined();
});

it('a store whose history was written without them gets them at connect', async () => {
  const dbName = `history_refs_${process.pid}`;
  const db = client.db(dbName);
  const old = version(observation);
  delete old.pr;
  await db.collection<HistoryDocument>('Observation_history').insertOne(old);
  await db.collection<StoredDocument>('Observation').insertOne(storedDocumentOf('o1', 1, new Date(), observation, index(observation)));
  const store = await Store.connect({ uri, dbName, searchIndexSpecs: (t) => searchIndexSpecs(search, t), indexFormat: { ...SEARCH_INDEX_FORMAT, index } });
  try {
    expect((await db.collection<HistoryDocument>('Observation_history').findOne({ _id: 'o1/1' }))?.pr).toEqual(['Patient/p2']);
    expect(await db.collection<HistoryDocument>('Observation_history').countDocuments({ pr: 'Patient/p2' })).toBe(1);
  } finally {
    await store.close();
    await db.dropDatabase();
  }
});
