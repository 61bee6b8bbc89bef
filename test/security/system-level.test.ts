import { A, type SecureServer, expectOutcome, refsOf, seedTwoPatients, startSecureServer } from './support';

/**
 * System-level search (`GET /fhir?...`) and history (`GET /fhir/_history`) cover every type the token may read. A
 * token that may read no type at all is refused (403), as it is on any type-level search, instead of answered
 * with an empty Bundle that looks like "no data".
 */
let server: SecureServer;
beforeAll(async () => {
  server = await startSecureServer();
  await seedTwoPatients(server.system);
});
afterAll(() => server.close());

describe('system-level search and history need a read grant on some type', () => {
  it('refuses a token with no resource scope at all', async () => {
    const caller = await server.scoped('openid fhirUser');
    expectOutcome(await caller.json('GET', '?_type=Patient,Condition'), 403, 'forbidden');
    expectOutcome(await caller.json('GET', ''), 403, 'forbidden');
    expectOutcome(await caller.json('GET', '_history'), 403, 'forbidden');
  });

  it('refuses a write-only token', async () => {
    for (const caller of [await server.scoped('system/*.cud'), await server.patient(A, 'patient/Condition.c')]) {
      expectOutcome(await caller.json('GET', '?_type=Patient'), 403, 'forbidden');
      expectOutcome(await caller.json('GET', '_history'), 403, 'forbidden');
    }
  });

  // Which types such a token sees is specified in scopes.test.ts; here only that one readable type is enough.
  it('answers a token that may read one type, even when the search names only types it may not read', async () => {
    const caller = await server.scoped('system/Patient.rs');
    const onlyOthers = await caller.json('GET', '?_type=Condition');
    expect(onlyOthers.status).toBe(200);
    expect(refsOf(onlyOthers.body)).toEqual([]);
    expect((await caller.json('GET', '_history')).status).toBe(200);
  });

  it('answers a patient token with its own compartment', async () => {
    const caller = await server.patient(A, 'patient/*.rs');
    const history = await caller.json('GET', '_history?_count=100');
    expect(history.status).toBe(200);
    expect(refsOf(history.body)).toContain(`Patient/${A}`);
  });
});
