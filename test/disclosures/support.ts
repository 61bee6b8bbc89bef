import type { AuditEvent } from 'fhir/r4';
import { tempDir, writeJson } from '../auth/fixtures';
import { type Caller, ISSUER, type SecureServer, put, startSecureServer } from '../security/support';

/**
 * A secure server whose clients file describes clients of the test issuer as the accounting of disclosures sees
 * them (README "Accounting of disclosures"):
 * - `law-app`: Smith & <Jones> LLP (a name that needs escaping in HTML), outside the covered entity, HLEGAL by default;
 * - `hospital-app`: Riverside Hospital, outside, TREAT by default (treatment: not accountable);
 * - `patient-app`: a patient-facing app outside the covered entity (its user is the patient);
 * - `inside-app`: the covered entity's own app (uses, not disclosures);
 * and `test-app` (the support's default client) is not registered at all.
 */
export const LAW_FIRM = 'Smith & <Jones> LLP';
export const LAW_ADDRESS = { line: ['12 Court St', 'Suite <b>5</b>'], city: 'Springfield', state: 'IL', postalCode: '62701' };

export const CLIENTS = [
  { client_id: 'law-app', issuer: ISSUER, purpose_of_use: 'HLEGAL', recipient: { name: LAW_FIRM, address: LAW_ADDRESS, outside_covered_entity: true } },
  { client_id: 'hospital-app', issuer: ISSUER, purpose_of_use: 'TREAT', recipient: { name: 'Riverside Hospital', outside_covered_entity: true } },
  { client_id: 'patient-app', issuer: ISSUER, recipient: { name: 'Health Records App Inc.', outside_covered_entity: true } },
  { client_id: 'inside-app', issuer: ISSUER, purpose_of_use: 'HOPERAT', recipient: { name: 'Our own records office', outside_covered_entity: false } },
];

export async function startDisclosureServer(env: Record<string, string> = {}): Promise<SecureServer> {
  return startSecureServer({ SMART_CLIENTS_FILE: writeJson(tempDir(), 'clients.json', { clients: CLIENTS }), ...env });
}

/** A caller of `client` with `scope` and any other claims. */
export async function client(server: SecureServer, clientId: string, scope: string, claims: Record<string, unknown> = {}): Promise<Caller> {
  return server.as(await server.sign({ client_id: clientId, scope, ...claims }));
}

/** Stores patient `id` with a name and an Observation, with the system caller. */
export async function seedPatient(server: SecureServer, id: string, name = 'Adams'): Promise<void> {
  await put(server.system, { resourceType: 'Patient', id, name: [{ family: name, given: ['Alpha'] }] });
  await put(server.system, { resourceType: 'Observation', id: `obs-${id}`, status: 'final', code: { text: 'weight' }, subject: { reference: `Patient/${id}` } });
}

/** Every stored AuditEvent matching `query`, once the queued ones are written ($verify-chain flushes the trail). */
export async function auditEvents(server: SecureServer, query: string): Promise<AuditEvent[]> {
  expect((await server.system.json('GET', 'AuditEvent/$verify-chain')).status).toBe(200);
  const res = await server.system.json('GET', `AuditEvent?${query}&_count=1000`);
  expect(res.status).toBe(200);
  return (res.body.entry ?? []).map((e: { resource: AuditEvent }) => e.resource);
}

/** A disclosure of `patient`'s record, recorded by hand as the README documents it. */
export const recordedDisclosure = (patient: string): AuditEvent => ({
  resourceType: 'AuditEvent',
  type: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110106', display: 'Export' },
  subtype: [{ system: 'http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle', code: 'disclose' }],
  action: 'R',
  period: { start: '2024-03-01T10:00:00Z' },
  recorded: new Date().toISOString(),
  purposeOfEvent: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'PUBHLTH' }] }],
  agent: [
    {
      type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] },
      who: { display: 'County Health Department' },
      requestor: false,
    },
    { who: { display: 'Records office, J. Clerk' }, requestor: true },
  ],
  source: { observer: { display: 'records office' } },
  entity: [{ what: { reference: `Patient/${patient}` }, description: 'Lab results of March 2024, by phone' }],
});
