import { MongoClient } from 'mongodb';
import { startEmbeddedMongo, type EmbeddedMongo } from '@fhirstone/embedded-mongo';
import { anonymousPolicy, unrestrictedPolicy, type AccessPolicy } from '../../src/auth/access-policy';
import { accessFilter, mayAccess, ownerOf } from '../../src/jobs/access-context';
import type { JobOwner } from '../../src/jobs/job';
import { JobStore } from '../../src/jobs/job-store';

/**
 * accessFilter is mayAccess as a query (`GET $jobs` reads only the caller's jobs): over owners of every access context,
 * and those stored before a field was recorded, each caller's query selects exactly the jobs mayAccess admits.
 */
const policy = (p: Partial<AccessPolicy>): AccessPolicy => ({ ...anonymousPolicy, ...p });
const ISS = 'https://issuer';
const callers: Record<string, AccessPolicy> = {
  unrestricted: unrestrictedPolicy,
  systemApp: policy({ issuer: ISS, clientId: 'app', scopes: ['system/*.rs'] }),
  otherIssuer: policy({ issuer: 'https://other', clientId: 'app', scopes: ['system/*.rs'] }),
  otherApp: policy({ issuer: ISS, clientId: 'other', scopes: ['system/*.rs'] }),
  alice: policy({ issuer: ISS, clientId: 'app', user: 'Practitioner/alice', scopes: ['user/*.rs'] }),
  bob: policy({ issuer: ISS, clientId: 'app', user: 'Practitioner/bob', scopes: ['user/*.rs'] }),
  appUser: policy({ issuer: ISS, clientId: 'app', scopes: ['user/*.rs'] }),
  clientlessAlice: policy({ issuer: ISS, user: 'Practitioner/alice', scopes: ['user/*.rs'] }),
  patientP1: policy({ issuer: ISS, clientId: 'app', scopes: ['patient/*.rs'], patientIds: ['p1'] }),
  patientP1P2: policy({ issuer: ISS, clientId: 'app', scopes: ['patient/*.rs'], patientIds: ['p2', 'p1', 'p2'] }),
  patientNone: policy({ issuer: ISS, clientId: 'app', scopes: ['patient/*.rs'], patientIds: [] }),
  noIssuer: policy({ clientId: 'app', scopes: ['system/*.rs'] }),
  nobody: policy({ issuer: ISS, scopes: ['user/*.rs'] }),
};
const owners: Record<string, JobOwner> = {
  ...Object.fromEntries(
    Object.entries(callers)
      .filter(([name]) => name !== 'nobody')
      .map(([name, p]) => [name, ownerOf(p)]),
  ),
  // Stored before the issuer, the context or the client was recorded.
  legacyNoIssuer: { clientId: 'app', open: false, context: 'system' },
  legacyNoContext: { issuer: ISS, clientId: 'app', open: false },
  legacyUserNoContext: { issuer: ISS, clientId: 'app', user: 'Practitioner/alice', open: false },
  legacyNobody: { issuer: ISS, open: false },
  patientsEmptyList: { issuer: ISS, clientId: 'app', open: false, context: 'system', patients: [] },
};

let mongo: EmbeddedMongo;
let client: MongoClient;
let jobs: JobStore;
beforeAll(async () => {
  mongo = process.env.MONGODB_URI ? ({ uri: process.env.MONGODB_URI, stop: async () => undefined } as EmbeddedMongo) : await startEmbeddedMongo({});
  client = await new MongoClient(mongo.uri, { ignoreUndefined: true }).connect();
  jobs = new JobStore(client.db(`access_${Math.random().toString(36).slice(2, 8)}`));
  await jobs.init();
  const now = new Date();
  for (const [name, owner] of Object.entries(owners)) {
    await jobs.insert({ _id: name, kind: 'k', request: 'r', transactionTime: now, createdAt: now, expiresAt: now, owner, plan: {}, checkpoint: { files: [] } });
  }
});
afterAll(async () => {
  await client.close();
  await mongo.stop();
});

it.each(Object.keys(callers))('selects for %s exactly the jobs mayAccess admits', async (name) => {
  const caller = callers[name];
  const admitted = Object.entries(owners)
    .filter(([, owner]) => mayAccess({ owner }, caller))
    .map(([id]) => id);
  const selected = (await jobs.newest(accessFilter(caller), 1_000)).map((j) => j._id);
  expect(selected.sort()).toEqual(admitted.sort());
});

it('lists a job without its plan and checkpoint', async () => {
  const [job] = await jobs.newest({ _id: 'alice' }, 1);
  expect(Object.keys(job).sort()).toEqual(['_id', 'createdAt', 'kind', 'owner', 'processed', 'request', 'status']);
});
