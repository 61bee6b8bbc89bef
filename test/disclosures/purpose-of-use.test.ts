import type { AuditEvent } from 'fhir/r4';
import { type SecureServer, expectOutcome } from '../security/support';
import { LAW_ADDRESS, LAW_FIRM, auditEvents, client, seedPatient, startDisclosureServer } from './support';

/** Every access records why it was made (AuditEvent.purposeOfEvent), and whom a registered client acts for. */
let server: SecureServer;
beforeAll(async () => {
  server = await startDisclosureServer();
  await seedPatient(server, 'pou-1');
});
afterAll(() => server.close());

const V3 = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';
const DISCLOSE = { system: 'http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle', code: 'disclose' };

/** The event of the one read of Observation `id` by `clientId`. */
async function readEvent(clientId: string, id = 'obs-pou-1'): Promise<AuditEvent> {
  const events = (await auditEvents(server, `entity=Observation/${id}&subtype=read`)).filter((e) => e.agent.some((a) => a.who?.identifier?.value === clientId));
  expect(events).toHaveLength(1);
  return events[0];
}

const purposes = (e: AuditEvent) => (e.purposeOfEvent ?? []).flatMap((c) => c.coding ?? []).map((c) => `${c.system}|${c.code}`);

describe('purpose of use', () => {
  it('comes from the purpose_of_use claim of the token (a code or a list)', async () => {
    const caller = await client(server, 'claims-1', 'system/*.rs', { purpose_of_use: ['PUBHLTH', 'HRESCH'] });
    expect((await caller.json('GET', 'Observation/obs-pou-1')).status).toBe(200);
    expect(purposes(await readEvent('claims-1'))).toEqual([`${V3}|PUBHLTH`, `${V3}|HRESCH`]);
  });

  it('comes from the IHE IUA extension when there is no purpose_of_use claim', async () => {
    const caller = await client(server, 'claims-2', 'system/*.rs', { extensions: { ihe_iua: { purpose_of_use: { system: V3, code: 'TREAT' } } } });
    expect((await caller.json('GET', 'Observation/obs-pou-1')).status).toBe(200);
    expect(purposes(await readEvent('claims-2'))).toEqual([`${V3}|TREAT`]);
  });

  it("comes from the client's registered default when the token names none, and a token's claim overrides it", async () => {
    const byDefault = await client(server, 'law-app', 'system/*.rs');
    expect((await byDefault.json('GET', 'Observation/obs-pou-1')).status).toBe(200);
    expect(purposes(await readEvent('law-app'))).toEqual([`${V3}|HLEGAL`]);
    const claimed = await client(server, 'hospital-app', 'system/*.rs', { purpose_of_use: 'ETREAT' });
    expect((await claimed.json('GET', 'Observation/obs-pou-1')).status).toBe(200);
    expect(purposes(await readEvent('hospital-app'))).toEqual([`${V3}|ETREAT`]);
  });

  it('is unknown (v3 NullFlavor UNK) otherwise', async () => {
    const caller = await client(server, 'claims-3', 'system/*.rs');
    expect((await caller.json('GET', 'Observation/obs-pou-1')).status).toBe(200);
    expect(purposes(await readEvent('claims-3'))).toEqual(['http://terminology.hl7.org/CodeSystem/v3-NullFlavor|UNK']);
  });

  it.each([['LEGAL'], [['TREAT', 'nonsense']], [42]])('refuses a token claiming %j with 401 invalid_token, reading nothing', async (purpose) => {
    const res = await (await client(server, 'claims-4', 'system/*.rs', { purpose_of_use: purpose })).json('GET', 'Observation/obs-pou-1');
    expectOutcome(res, 401, 'login');
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(res.body.issue[0].diagnostics).toMatch(/purpose_of_use/);
  });

  it('refuses an IUA purpose of another code system with 401 invalid_token', async () => {
    const caller = await client(server, 'claims-5', 'system/*.rs', { extensions: { ihe_iua: { purpose_of_use: { system: 'http://example.org', code: 'TREAT' } } } });
    expectOutcome(await caller.json('GET', 'Observation/obs-pou-1'), 401, 'login');
  });
});

describe('a client registered as acting for a recipient outside the covered entity', () => {
  it('is named on its events as the information recipient, with its address, and its reads are disclosures', async () => {
    const event = await readEvent('law-app');
    const recipient = event.agent.find((a) => a.type?.coding?.[0]?.code === 'IRCP');
    expect(recipient).toMatchObject({ name: LAW_FIRM, who: { display: LAW_FIRM }, requestor: false });
    expect(recipient?.extension?.[0]).toEqual({ url: 'http://fhirstone.org/fhir/StructureDefinition/recipient-address', valueAddress: LAW_ADDRESS });
    expect(event.subtype).toEqual(expect.arrayContaining([expect.objectContaining(DISCLOSE)]));
  });

  it('is not a recipient when registered inside the covered entity, nor is an unregistered client: their reads are uses', async () => {
    const inside = await client(server, 'inside-app', 'system/*.rs');
    expect((await inside.json('GET', 'Observation/obs-pou-1')).status).toBe(200);
    for (const e of [await readEvent('inside-app'), await readEvent('claims-3')]) {
      expect(e.agent.some((a) => a.type?.coding?.[0]?.code === 'IRCP')).toBe(false);
      expect(e.subtype).not.toEqual(expect.arrayContaining([expect.objectContaining(DISCLOSE)]));
    }
  });

  it('discloses nothing by a refused request', async () => {
    const caller = await client(server, 'law-app', 'system/Patient.rs');
    expect((await caller.json('GET', 'Observation/obs-pou-1')).status).toBe(403);
    const refused = (await auditEvents(server, 'entity-type=2&outcome=4')).filter((e) => e.agent.some((a) => a.who?.identifier?.value === 'law-app'));
    expect(refused.length).toBeGreaterThan(0);
    for (const e of refused) expect(e.subtype).not.toEqual(expect.arrayContaining([expect.objectContaining(DISCLOSE)]));
  });
});
