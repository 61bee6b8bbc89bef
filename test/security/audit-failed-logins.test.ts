import type { AuditEvent } from 'fhir/r4';
import { nowS, signToken, testKey } from '../auth/fixtures';
import { type SecureServer, startSecureServer } from './support';

/**
 * Failed logins cost the trail one event per kind (interaction, status, claimed client, address) and window, not
 * one per attempt: the first failure is written at once, the rest of the window as one event with their count.
 */
const LOGIN = 'type=http://dicom.nema.org/resources/ontology/DCM|110114';
const COUNT = 'http://fhirstone.org/fhir/StructureDefinition/audit-failure-count';
let server: SecureServer;

beforeAll(async () => (server = await startSecureServer()));
afterAll(() => server.close());

async function failedLogins(): Promise<AuditEvent[]> {
  // $verify-chain writes the counts still open, so the trail accounts for every failure so far.
  expect((await server.system.json('GET', 'AuditEvent/$verify-chain')).status).toBe(200);
  const res = await server.system.json('GET', `AuditEvent?${LOGIN}&outcome=4&_count=1000`);
  return (res.body.entry ?? []).map((e: { resource: AuditEvent }) => e.resource);
}
const countOf = (e: AuditEvent) => e.extension?.find((x) => x.url === COUNT)?.valueInteger ?? 0;

describe('failed logins in the audit trail', () => {
  it('records 50 failed logins from one address as at most two events whose counts sum to 50', async () => {
    const forged = await signToken(await testKey('ES384'), { iss: 'https://issuer.test/realms/ehr', aud: server.baseUrl, exp: nowS() + 60 });
    for (let i = 0; i < 50; i++) expect((await server.as(forged).json('GET', `Patient?attempt=${i}`)).status).toBe(401);
    const events = await failedLogins();
    expect(events.length).toBeLessThanOrEqual(2);
    expect(events.reduce((n, e) => n + countOf(e), 0)).toBe(50);
    // The query's values are sealed (src/audit/query-text.ts); $query-text reads them back.
    const first = events.find((e) => countOf(e) === 1)!;
    expect(first.entity?.[0].description).toBe('Patient?attempt=…');
    expect((await server.system.json('GET', `AuditEvent/${first.id}/$query-text`)).body.parameter[0].valueString).toBe('Patient?attempt=0');
    expect(events.every((e) => e.period?.start && e.period.end)).toBe(true);
  });
});
