import { A, type SecureServer, expectOutcome, refsOf, seedTwoPatients, startSecureServer } from './support';

/**
 * System-level search (`GET /fhir?...`, `POST /fhir/_search`) covers every type the token may search, and history
 * (`GET /fhir/_history`) every type it may read. A token with that grant on no type at all is refused (403), as it
 * is on any type-level search, instead of answered with an empty Bundle that looks like "no data".
 */
let server: SecureServer;
beforeAll(async () => {
  server = await startSecureServer();
  await seedTwoPatients(server.system);
});
afterAll(() => server.close());

describe('system-level search and history need a search (history: read) grant on some type', () => {
  it('refuses a token with no resource scope at all', async () => {
    const caller = await server.scoped('openid fhirUser');
    expectOutcome(await caller.json('GET', '?_type=Patient,Condition'), 403, 'forbidden');
    expectOutcome(await caller.json('GET', ''), 403, 'forbidden');
    expectOutcome(await caller.json('POST', '_search', '', { 'content-type': 'application/x-www-form-urlencoded' }), 403, 'forbidden');
    expectOutcome(await caller.json('GET', '_history'), 403, 'forbidden');
  });

  it('refuses a write-only token', async () => {
    for (const caller of [await server.scoped('system/*.cud'), await server.patient(A, 'patient/Condition.c')]) {
      expectOutcome(await caller.json('GET', '?_type=Patient'), 403, 'forbidden');
      expectOutcome(await caller.json('GET', '_history'), 403, 'forbidden');
    }
  });

  // Which types such a token sees is specified in scopes.test.ts; here only that one readable type is enough.
  it('answers a token that may search one type, but refuses a _type naming only types it may not search', async () => {
    const caller = await server.scoped('system/Patient.rs');
    expectOutcome(await caller.json('GET', '?_type=Condition'), 403, 'forbidden');
    const bare = await caller.json('GET', '?_count=100');
    expect(bare.status).toBe(200);
    expect(refsOf(bare.body)).toContain(`Patient/${A}`);
    expect((await caller.json('GET', '_history')).status).toBe(200);
  });

  it('answers a patient token with its own compartment', async () => {
    const caller = await server.patient(A, 'patient/*.rs');
    const history = await caller.json('GET', '_history?_count=100');
    expect(history.status).toBe(200);
    expect(refsOf(history.body)).toContain(`Patient/${A}`);
  });
});
