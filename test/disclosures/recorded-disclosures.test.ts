import type { AuditEvent } from 'fhir/r4';
import { type SecureServer, expectOutcome } from '../security/support';
import { auditEvents, recordedDisclosure, seedPatient, startDisclosureServer } from './support';

/**
 * Disclosures made outside the server (a paper copy to a lawyer, a phone report to public health) are recorded
 * through the API as AuditEvents of the documented shape (README "Accounting of disclosures"), checked on POST.
 */
let server: SecureServer;
beforeAll(async () => {
  server = await startDisclosureServer();
  await seedPatient(server, 'rec-1');
});
afterAll(() => server.close());

const post = (event: unknown) => server.system.json('POST', 'AuditEvent', event);

describe('a disclosure recorded through the API', () => {
  it('is stored, tagged submitted, and found among the patient’s disclosures by the disclose subtype', async () => {
    const res = await post(recordedDisclosure('rec-1'));
    expect(res.status).toBe(201);
    const found = await auditEvents(server, 'patient=Patient/rec-1&subtype=http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle|disclose');
    expect(found.map((e) => e.id)).toEqual([res.body.id]);
    expect(found[0].meta?.tag?.map((t) => t.code)).toContain('submitted');
  });

  it('is append-only like every AuditEvent', async () => {
    const { body } = await post(recordedDisclosure('rec-1'));
    expect((await server.system.json('PUT', `AuditEvent/${body.id}`, { ...recordedDisclosure('rec-1'), id: body.id })).status).toBe(405);
    expect((await server.system.json('DELETE', `AuditEvent/${body.id}`)).status).toBe(405);
  });

  it('keeps the chain intact and its disclosure key consistent with its content', async () => {
    await post(recordedDisclosure('rec-1'));
    const res = await server.system.json('GET', 'AuditEvent/$verify-chain');
    expect(res.body.parameter.find((p: { name: string }) => p.name === 'intact').valueBoolean).toBe(true);
  });

  const without = (change: (e: AuditEvent) => void) => {
    const e = recordedDisclosure('rec-1');
    change(e);
    return e;
  };

  it.each([
    ['no patient entity', without((e) => (e.entity = [{ what: { reference: 'Observation/obs-rec-1' }, description: 'x' }])), 'AuditEvent.entity'],
    ['no description of what was disclosed', without((e) => delete e.entity![0].description), 'AuditEvent.entity[0].description'],
    ['no recipient agent', without((e) => e.agent.shift()), 'AuditEvent.agent'],
    ['a recipient without a name', without((e) => (e.agent[0].who = { identifier: { value: 'x' } })), 'AuditEvent.agent[0]'],
    [
      'a recipient address that is not an Address',
      without((e) => (e.agent[0].extension = [{ url: 'http://fhirstone.org/fhir/StructureDefinition/recipient-address', valueString: 'x' }])),
      'AuditEvent.agent[0].extension[0]',
    ],
    ['no purpose', without((e) => delete e.purposeOfEvent), 'AuditEvent.purposeOfEvent'],
    [
      'a purpose code outside PurposeOfUse',
      without((e) => (e.purposeOfEvent = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'LEGAL' }] }])),
      'AuditEvent.purposeOfEvent',
    ],
    [
      'an unknown disclosure category',
      without((e) => (e.purposeOfEvent = [{ coding: [{ system: 'http://fhirstone.org/fhir/CodeSystem/disclosure-category', code: 'gossip' }] }])),
      'AuditEvent.purposeOfEvent',
    ],
  ])('is refused (422) with %s, naming the element', async (_what, event, path) => {
    const res = await post(event);
    expectOutcome(res, 422);
    expect(res.body.issue.flatMap((i: { expression?: string[] }) => i.expression ?? [])).toContain(path);
  });

  it('may name a disclosure category instead of a v3 purpose (a law enforcement request has no v3 code)', async () => {
    const e = without((x) => (x.purposeOfEvent = [{ coding: [{ system: 'http://fhirstone.org/fhir/CodeSystem/disclosure-category', code: 'law-enforcement' }] }]));
    expect((await post(e)).status).toBe(201);
  });
});
