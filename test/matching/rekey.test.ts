import type { Patient } from 'fhir/r4';
import { MATCH_KEY, storedKeys } from '../../src/matching/index-entries';
import { MATCH_KEYS_RECORD, ensureMatchKeys } from '../../src/matching/rekey';
import { shippedMatchConfig } from '../../src/matching';
import { META_COLLECTION } from '../../src/store/index-format';
import type { Services } from '../../src/server';
import type { StoredDocument } from '../../src/store/stored-document';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * Patients stored before matching existed, or keyed under another configuration, get their blocking keys at
 * start-up: the store records the keys fingerprint it was keyed with and every Patient is indexed again when the
 * configuration's differs.
 */
let server: TestServer;
let services: Services;
beforeAll(async () => {
  server = await startTestServer({}, (s) => (services = s));
});
afterAll(() => server.close());

const patients = () => server.store.db.collection<StoredDocument>('Patient');
const ada: Patient = { resourceType: 'Patient', name: [{ family: 'Quist', given: ['Ada'] }], birthDate: '1950-02-03' };

it('records the fingerprint at start and keys each Patient as it is written', async () => {
  const meta = await server.store.db.collection<{ _id: string; fingerprint?: string }>(META_COLLECTION).findOne({ _id: MATCH_KEYS_RECORD });
  expect(meta?.fingerprint).toBe(shippedMatchConfig().keysFingerprint);
  expect((await server.json('PUT', 'Patient/rk-1', { ...ada, id: 'rk-1' })).status).toBe(201);
  expect(storedKeys((await patients().findOne({ _id: 'rk-1' }))!)).toContain('family-birthdate:KST|1950-02-03');
});

it('keys the stored Patients again when the recorded fingerprint is not the configuration one', async () => {
  await patients().updateOne({ _id: 'rk-1' }, { $pull: { 's.e': { p: MATCH_KEY } } } as never);
  expect(storedKeys((await patients().findOne({ _id: 'rk-1' }))!)).toEqual([]);
  const fingerprint = shippedMatchConfig().keysFingerprint;
  // Recorded and current: nothing to do, even though this Patient lost its keys behind the server's back.
  expect(await ensureMatchKeys(server.store.db, fingerprint, services.index)).toEqual({ rekeyed: false });
  await server.store.db
    .collection<{ _id: string; fingerprint: string }>(META_COLLECTION)
    .updateOne({ _id: MATCH_KEYS_RECORD }, { $set: { fingerprint: 'an older configuration' } });
  expect(await ensureMatchKeys(server.store.db, fingerprint, services.index)).toEqual({ rekeyed: true });
  const doc = (await patients().findOne({ _id: 'rk-1' }))!;
  expect(storedKeys(doc)).toContain('family-birthdate:KST|1950-02-03');
  // The rest of the search index is written again too, not lost.
  expect(JSON.stringify(doc.s)).toContain('"p":"family"');
  const res = await server.json('POST', 'Patient/$match', { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: ada }] });
  expect(res.body.entry.map((e: { resource: Patient }) => e.resource.id)).toEqual(['rk-1']);
});
