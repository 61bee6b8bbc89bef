import { A, B, B_NAME, B_CODE, type Caller, type SecureServer, expectOutcome, refsOf, seedTwoPatients, startSecureServer } from './support';

/**
 * SMART App Launch 2.0 separates `r` (read, vread, instance history) from `s` (type- and system-level search and
 * history). A token with `Condition.r` but not `Condition.s` may fetch a Condition whose id it knows, but no search
 * finds Conditions for it: not a system-level search (`GET /fhir?_type=Condition`, `POST /fhir/_search`), nor a
 * search of another type that would list them (`_revinclude`, a chain, `_has`). Following a reference to a resource
 * is a read, so `_include` brings in what the matches reference when the token may read that type.
 */
let server: SecureServer;
let readsConditions: Caller;
beforeAll(async () => {
  server = await startSecureServer();
  await seedTwoPatients(server.system);
  readsConditions = await server.scoped('system/Patient.rs system/Encounter.rs system/Condition.r');
});
afterAll(() => server.close());

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const typesOf = (bundle: unknown) => new Set(refsOf(bundle as Parameters<typeof refsOf>[0]).map((r) => r.split('/')[0]));

describe('system-level search covers only the types the token may search', () => {
  it('refuses GET /fhir?_type=Condition to a token with Condition.r but not Condition.s, as type-level search is', async () => {
    expect((await readsConditions.json('GET', 'Condition/cond-b1')).status).toBe(200);
    expectOutcome(await readsConditions.json('GET', 'Condition'), 403, 'forbidden');
    expectOutcome(await readsConditions.json('GET', '?_type=Condition'), 403, 'forbidden');
    expectOutcome(await readsConditions.json('GET', '?_type=Patient,Condition'), 403, 'forbidden');
  });

  it('refuses POST /fhir/_search naming such a type in _type, in the URL or in the form body', async () => {
    expectOutcome(await readsConditions.json('POST', '_search?_type=Condition', '', FORM), 403, 'forbidden');
    expectOutcome(await readsConditions.json('POST', '_search', '_type=Patient,Condition', FORM), 403, 'forbidden');
  });

  it('searches only the types the token may search when _type is absent', async () => {
    for (const res of [await readsConditions.json('GET', '?_count=100'), await readsConditions.json('POST', '_search', '_count=100', FORM)]) {
      expect(res.status).toBe(200);
      expect(typesOf(res.body)).toEqual(new Set(['Patient', 'Encounter']));
    }
  });

  it('refuses system-level search to a token that may read every type but search none', async () => {
    const caller = await server.scoped('system/*.r');
    expect((await caller.json('GET', `Patient/${A}`)).status).toBe(200);
    expectOutcome(await caller.json('GET', ''), 403, 'forbidden');
    expectOutcome(await caller.json('GET', '?_type=Patient'), 403, 'forbidden');
    expectOutcome(await caller.json('POST', '_search', '_type=Patient', FORM), 403, 'forbidden');
  });
});

describe('searches of another type do not list resources the token may only read', () => {
  it('leaves them out of _revinclude, which a token that may search them gets', async () => {
    const query = `Patient?_id=${B}&_revinclude=Condition:subject`;
    expect(refsOf((await readsConditions.json('GET', query)).body)).toEqual([`Patient/${B}`]);
    const searcher = await server.scoped('system/Patient.rs system/Condition.rs');
    expect(refsOf((await searcher.json('GET', query)).body).sort()).toEqual(['Condition/cond-b1', `Patient/${B}`]);
  });

  it('matches nothing through _has on them', async () => {
    const query = `Patient?_has:Condition:subject:code=${B_CODE}`;
    const res = await readsConditions.json('GET', query);
    expect(res.status).toBe(200);
    expect(refsOf(res.body)).toEqual([]);
    const searcher = await server.scoped('system/Patient.rs system/Condition.rs');
    expect(refsOf((await searcher.json('GET', query)).body)).toEqual([`Patient/${B}`]);
  });

  it('matches nothing through a chain into them', async () => {
    const query = `Condition?subject:Patient.name=${B_NAME}`;
    const readsPatients = await server.scoped('system/Condition.rs system/Patient.r');
    const res = await readsPatients.json('GET', query);
    expect(res.status).toBe(200);
    expect(refsOf(res.body)).toEqual([]);
    const searcher = await server.scoped('system/Condition.rs system/Patient.rs');
    expect(refsOf((await searcher.json('GET', query)).body)).toEqual(['Condition/cond-b1']);
  });

  it('still includes what the matches reference: _include follows references, a read', async () => {
    const caller = await server.scoped('system/Condition.rs system/Encounter.r');
    const res = await caller.json('GET', 'Condition?_id=cond-b1&_include=Condition:encounter');
    expect(res.status).toBe(200);
    expect(refsOf(res.body).sort()).toEqual(['Condition/cond-b1', 'Encounter/enc-b']);
  });
});

describe('history follows the same split: instance history is a read, type and system history a search', () => {
  it('answers the instance history of a Condition to a token with Condition.r', async () => {
    const res = await readsConditions.json('GET', 'Condition/cond-b1/_history');
    expect(res.status).toBe(200);
    expect(new Set(refsOf(res.body))).toEqual(new Set(['Condition/cond-b1']));
  });

  it('refuses Condition/_history to that token, and leaves Conditions out of its system history', async () => {
    expectOutcome(await readsConditions.json('GET', 'Condition/_history'), 403, 'forbidden');
    const all = await readsConditions.json('GET', '_history?_count=100');
    expect(all.status).toBe(200);
    expect(typesOf(all.body).has('Condition')).toBe(false);
    expect(typesOf(all.body).has('Patient')).toBe(true);
  });

  it('refuses system history to a token that may read every type but search none', async () => {
    const caller = await server.scoped('system/*.r');
    expectOutcome(await caller.json('GET', '_history'), 403, 'forbidden');
    expectOutcome(await caller.json('GET', 'Patient/_history'), 403, 'forbidden');
    expect((await caller.json('GET', `Patient/${A}/_history`)).status).toBe(200);
  });
});
