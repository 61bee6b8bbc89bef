import type { AuditEvent, Bundle, Composition, DocumentReference } from 'fhir/r4';
import { type SecureServer, expectOutcome, put } from '../security/support';
import { LAW_FIRM, client, recordedDisclosure, seedPatient, startDisclosureServer } from './support';

/**
 * `Patient/[id]/$disclosures`: the accounting of disclosures (45 CFR 164.528) of a patient's record, made from the
 * audit trail, as the rules file decides (src/disclosures/accounting-rules.json).
 */
let server: SecureServer;
const P = 'acc-1';
const DISCLOSE = 'http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle|disclose';

beforeAll(async () => {
  server = await startDisclosureServer();
  await seedPatient(server, P);
  await seedPatient(server, 'acc-other', 'Other');
  // Reads of the patient's record by clients of every kind.
  for (const [id, claims] of [
    ['law-app', {}], // outside the covered entity, HLEGAL: judicial proceedings, listed
    ['hospital-app', {}], // outside, TREAT: treatment, not listed
    ['test-app', { purpose_of_use: 'HLEGAL' }], // not registered: a use inside the covered entity
    ['inside-app', {}], // registered inside the covered entity: a use
    ['patient-app', { fhirUser: `Patient/${P}` }], // the patient's own app: to the individual, not listed
  ] as const) {
    const caller = await client(server, id, id === 'patient-app' ? 'user/*.rs' : 'system/*.rs', claims);
    expect((await caller.json('GET', `Observation/obs-${P}`)).status).toBe(200);
  }
  // A read of another patient's record by the law firm: not this patient's disclosure.
  expect((await (await client(server, 'law-app', 'system/*.rs')).json('GET', 'Observation/obs-acc-other')).status).toBe(200);
});
afterAll(() => server.close());

/** The accounting of `patient` as `caller` gets it, once the trail has stored every queued event. */
async function accounting(patient = P, query = '', caller = server.system): Promise<{ status: number; body: Bundle; headers: Headers }> {
  expect((await server.system.json('GET', 'AuditEvent/$verify-chain')).status).toBe(200);
  return caller.json('GET', `Patient/${patient}/$disclosures${query}`);
}

const disclosures = (b: Bundle) => (b.entry ?? []).slice(1).map((e) => e.resource as AuditEvent);
const recipients = (b: Bundle) => disclosures(b).map((e) => e.agent.find((a) => a.type?.coding?.[0]?.code === 'IRCP')?.name);
const description = (e: AuditEvent) => e.entity?.[0]?.description;

describe('the accounting of disclosures', () => {
  it('is a document Bundle: a Composition first (the patient, the period), then one AuditEvent per disclosure', async () => {
    const { status, body } = await accounting();
    expect(status).toBe(200);
    expect(body).toMatchObject({ resourceType: 'Bundle', type: 'document', identifier: { system: 'urn:ietf:rfc:3986' } });
    const composition = body.entry?.[0].resource as Composition;
    expect(composition).toMatchObject({
      resourceType: 'Composition',
      status: 'final',
      title: 'Accounting of disclosures',
      subject: { reference: `${server.baseUrl}/Patient/${P}` },
    });
    const refs = composition.section?.[0].entry?.map((r) => r.reference);
    expect(refs).toEqual(body.entry!.slice(1).map((e) => e.fullUrl));
    expect(body.entry!.every((e) => e.fullUrl?.startsWith('urn:uuid:'))).toBe(true);
  });

  it('states its period: by default the six years up to now', async () => {
    const { body } = await accounting();
    const { start, end } = (body.entry?.[0].resource as Composition).event![0].period!;
    const years = (Date.parse(end!) - Date.parse(start!)) / (365.25 * 24 * 3600_000);
    expect(years).toBeCloseTo(6, 1);
    expect(Math.abs(Date.parse(end!) - Date.now())).toBeLessThan(60_000);
  });

  it('lists a read by a client acting for a recipient outside the covered entity for an accountable purpose, with recipient, address, what and why', async () => {
    const { body } = await accounting();
    const law = disclosures(body).filter((e) => e.agent.some((a) => a.name === LAW_FIRM));
    expect(law).toHaveLength(1);
    const [event] = law;
    expect(event.subtype?.map((s) => `${s.system}|${s.code}`)).toEqual([DISCLOSE]);
    expect(event.entity?.[0]).toMatchObject({ what: { reference: `${server.baseUrl}/Patient/${P}` }, description: 'read of Observation' });
    expect(event.agent.find((a) => a.name === LAW_FIRM)?.extension?.[0].valueAddress?.city).toBe('Springfield');
    const purposes = event.purposeOfEvent?.flatMap((c) => c.coding ?? []).map((c) => c.code);
    expect(purposes).toEqual(['HLEGAL', 'judicial']);
    // The patient's entity is the only one: another patient's read is not in this accounting.
    expect(JSON.stringify(body)).not.toContain('acc-other');
  });

  it('leaves out treatment by an outside hospital, uses inside the covered entity and the patient’s own reads', async () => {
    const names = recipients((await accounting()).body);
    expect(names).not.toContain('Riverside Hospital');
    expect(names).not.toContain('Our own records office');
    expect(names).not.toContain('Health Records App Inc.');
    expect(names.filter((n) => n === undefined)).toEqual([]);
  });

  it('lists a disclosure recorded by hand, with its description, and leaves out one made under the patient’s authorization', async () => {
    expect((await server.system.json('POST', 'AuditEvent', recordedDisclosure(P))).status).toBe(201);
    const authorised = recordedDisclosure(P);
    authorised.agent[0].who = { display: 'Insurance broker' };
    authorised.purposeOfEvent = [{ coding: [{ system: 'http://fhirstone.org/fhir/CodeSystem/disclosure-category', code: 'authorized' }] }];
    expect((await server.system.json('POST', 'AuditEvent', authorised)).status).toBe(201);
    const events = disclosures((await accounting()).body);
    const county = events.filter((e) => e.agent.some((a) => a.name === 'County Health Department'));
    expect(county.map(description)).toEqual(['Lab results of March 2024, by phone']);
    expect(county[0].period?.start).toBe('2024-03-01T10:00:00.000Z');
    expect(events.some((e) => e.agent.some((a) => a.name === 'Insurance broker'))).toBe(false);
  });

  it('lists disclosures oldest first', async () => {
    const dates = disclosures((await accounting()).body).map((e) => e.period!.start!);
    expect(dates).toEqual([...dates].sort());
  });

  it('covers only its period: a disclosure seven years ago is outside the default, inside an explicit start', async () => {
    const old = recordedDisclosure(P);
    old.period = { start: new Date(Date.now() - 7 * 365 * 24 * 3600_000).toISOString() };
    old.agent[0].who = { display: 'Old Court' };
    expect((await server.system.json('POST', 'AuditEvent', old)).status).toBe(201);
    expect(recipients((await accounting()).body)).not.toContain('Old Court');
    const start = new Date(Date.now() - 8 * 365 * 24 * 3600_000).toISOString().slice(0, 10);
    expect(recipients((await accounting(P, `?start=${start}`)).body)).toContain('Old Court');
    const onlyMarch = (await accounting(P, '?start=2024-03-01&end=2024-03-01')).body;
    expect(recipients(onlyMarch)).toEqual(['County Health Department']);
  });

  it('lists an outside recipient’s access with no stated purpose (purpose not stated)', async () => {
    expect((await (await client(server, 'patient-app', 'system/*.rs')).json('GET', `Patient/${P}`)).status).toBe(200);
    const [event] = disclosures((await accounting()).body).filter((e) => e.agent.some((a) => a.name === 'Health Records App Inc.'));
    expect(event.purposeOfEvent?.flatMap((c) => c.coding ?? []).map((c) => c.code)).toEqual(['unknown']);
  });

  it('refuses a start after its end (400) and a malformed date', async () => {
    expectOutcome(await accounting(P, '?start=2024-02-01&end=2024-01-01'), 400);
    expectOutcome(await accounting(P, '?start=yesterday'), 400);
  });
});

describe('who may ask', () => {
  it('the patient themself: a token bound to the patient gets the same accounting', async () => {
    const own = await accounting(P, '', await server.patient(P, 'patient/Patient.rs'));
    expect(own.status).toBe(200);
    expect(recipients(own.body).sort()).toEqual(recipients((await accounting()).body).sort());
  });

  it('not another patient: 404, as for any hidden resource', async () => {
    expectOutcome(await accounting('acc-other', '', await server.patient(P, 'patient/*.rs')), 404);
  });

  it('not a caller that may not read AuditEvents (403), and an unknown patient is 404', async () => {
    expectOutcome(await accounting(P, '', await server.scoped('system/Observation.rs system/Patient.rs')), 403);
    expectOutcome(await accounting('nobody-here'), 404);
    expect((await accounting(P, '', await server.scoped('system/AuditEvent.rs'))).status).toBe(200);
  });
});

describe('the accountings provided', () => {
  it('are kept as DocumentReferences of the patient: who asked, when, the period and the exact document delivered', async () => {
    const caller = await client(server, 'records-office', 'user/*.rs', { fhirUser: 'Practitioner/clerk-1' });
    const delivered = await caller.json('GET', `Patient/${P}/$disclosures?start=2024-01-01&end=2024-12-31`);
    expect(delivered.status).toBe(200);
    const log = await server.system.json('GET', `DocumentReference?patient=${P}&type=http://fhirstone.org/fhir/CodeSystem/disclosure-accounting|accounting&_count=100`);
    const kept = (log.body.entry ?? []).map((e: { resource: DocumentReference }) => e.resource as DocumentReference);
    const mine = kept.filter((d: DocumentReference) => d.author?.[0]?.reference === 'Practitioner/clerk-1');
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      status: 'current',
      subject: { reference: `Patient/${P}` },
      context: { period: { start: '2024-01-01T00:00:00.000Z', end: '2024-12-31T23:59:59.999Z' } },
    });
    expect(mine[0].description).toContain('records-office');
    const attachment = mine[0].content[0].attachment;
    expect(attachment.contentType).toBe('application/fhir+json');
    expect(JSON.parse(Buffer.from(attachment.data!, 'base64').toString('utf8'))).toEqual(delivered.body);
  });

  it('are named by the AuditEvent of the request, with the patient', async () => {
    const res = await accounting();
    expect(res.status).toBe(200);
    expect((await server.system.json('GET', 'AuditEvent/$verify-chain')).status).toBe(200);
    const events: AuditEvent[] = (await server.system.json('GET', `AuditEvent?patient=Patient/${P}&_sort=-_lastUpdated&_count=50`)).body.entry.map(
      (e: { resource: AuditEvent }) => e.resource,
    );
    const asked = events.find((e) => e.entity?.some((x) => x.description?.includes('$disclosures')));
    expect(asked?.entity?.map((x) => x.what?.reference).filter(Boolean)).toEqual(expect.arrayContaining([`Patient/${P}`, expect.stringMatching(/^DocumentReference\//)]));
  });
});

describe('after a merge', () => {
  it('the accounting of the surviving record follows its replaces links: disclosures recorded under the old id still count', async () => {
    await seedPatient(server, 'acc-old');
    const old = recordedDisclosure('acc-old');
    old.agent[0].who = { display: 'State Registry' };
    expect((await server.system.json('POST', 'AuditEvent', old)).status).toBe(201);
    await put(server.system, { resourceType: 'Patient', id: 'acc-new', link: [{ other: { reference: 'Patient/acc-old' }, type: 'replaces' }] });
    const merged = await accounting('acc-new');
    expect(recipients(merged.body)).toEqual(['State Registry']);
    expect(recipients((await accounting('acc-new', '', await server.patient('acc-new', 'patient/Patient.rs'))).body)).toEqual(['State Registry']);
  });
});
