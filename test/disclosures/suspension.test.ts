import type { Bundle, AuditEvent, Parameters } from 'fhir/r4';
import { type SecureServer, expectOutcome } from '../security/support';
import { LAW_FIRM, client, recordedDisclosure, seedPatient, startDisclosureServer } from './support';

/**
 * A temporary suspension (45 CFR 164.528(a)(2)): `POST Patient/[id]/$suspend-accounting` names the agency or official
 * and the end; while it is in force the accounting leaves out the disclosures to that recipient.
 */
let server: SecureServer;
const DAY = 24 * 3600_000;

beforeAll(async () => {
  server = await startDisclosureServer();
  for (const p of ['sus-1', 'sus-2', 'sus-3']) {
    await seedPatient(server, p);
    expect((await (await client(server, 'law-app', 'system/*.rs')).json('GET', `Observation/obs-${p}`)).status).toBe(200);
    expect((await server.system.json('POST', 'AuditEvent', recordedDisclosure(p))).status).toBe(201);
  }
});
afterAll(() => server.close());

const suspend = (patient: string, params: Record<string, string>, caller = server.system) =>
  caller.json('POST', `Patient/${patient}/$suspend-accounting`, {
    resourceType: 'Parameters',
    parameter: Object.entries(params).map(([name, value]) => (name === 'end' || name === 'start' ? { name, valueDateTime: value } : { name, valueString: value })),
  });

async function recipients(patient: string): Promise<string[]> {
  expect((await server.system.json('GET', 'AuditEvent/$verify-chain')).status).toBe(200);
  const res = await server.system.json('GET', `Patient/${patient}/$disclosures`);
  expect(res.status).toBe(200);
  return ((res.body as Bundle).entry ?? []).slice(1).map((e) => (e.resource as AuditEvent).agent.find((a) => a.type?.coding?.[0]?.code === 'IRCP')!.name!);
}

const part = (p: Parameters, name: string) => p.parameter?.[0].part?.find((x) => x.name === name);

describe('a suspension of the accounting', () => {
  it('leaves out the disclosures to the agency it names (case and spacing aside) while in force, and only those', async () => {
    expect(await recipients('sus-1')).toEqual(['County Health Department', LAW_FIRM]);
    const res = await suspend('sus-1', { agency: '  smith &  <jones> llp', end: new Date(Date.now() + 365 * DAY).toISOString(), reason: 'investigation 42' });
    expect(res.status).toBe(201);
    expect(part(res.body, 'inForce')?.valueBoolean).toBe(true);
    expect(await recipients('sus-1')).toEqual(['County Health Department']);
  });

  it('no longer applies after its end', async () => {
    const res = await suspend('sus-2', { agency: LAW_FIRM, start: '2020-01-01T00:00:00Z', end: '2020-06-30T00:00:00Z' });
    expect(res.status).toBe(201);
    expect(part(res.body, 'inForce')?.valueBoolean).toBe(false);
    expect(await recipients('sus-2')).toContain(LAW_FIRM);
  });

  it('on an oral statement lasts 30 days at most', async () => {
    const start = new Date(Date.now() - 31 * DAY);
    const res = await suspend('sus-3', { agency: LAW_FIRM, statement: 'oral', start: start.toISOString(), end: new Date(Date.now() + 365 * DAY).toISOString() });
    expect(res.status).toBe(201);
    expect(part(res.body, 'effectiveEnd')?.valueDateTime).toBe(new Date(start.getTime() + 30 * DAY).toISOString());
    expect(part(res.body, 'inForce')?.valueBoolean).toBe(false);
    expect(await recipients('sus-3')).toContain(LAW_FIRM);
  });

  it('is listed by $accounting-suspensions, in force or not, with who placed it', async () => {
    const res = await server.system.json('GET', 'Patient/sus-1/$accounting-suspensions');
    expect(res.status).toBe(200);
    expect(res.body.parameter).toHaveLength(1);
    expect(part(res.body, 'agency')?.valueString).toBe('smith &  <jones> llp');
    expect(part(res.body, 'reason')?.valueString).toBe('investigation 42');
    expect(part(res.body, 'placedByClient')?.valueString).toBe('test-app');
  });

  it('is refused with a missing agency or end, or an end before its start (400)', async () => {
    expectOutcome(await suspend('sus-1', { end: '2030-01-01T00:00:00Z' }), 400);
    expectOutcome(await suspend('sus-1', { agency: 'Police' }), 400);
    expectOutcome(await suspend('sus-1', { agency: 'Police', start: '2030-01-01T00:00:00Z', end: '2029-01-01T00:00:00Z' }), 400);
    expectOutcome(await suspend('sus-1', { agency: 'Police', end: '2030-01-01T00:00:00Z', statement: 'rumour' }), 400);
  });

  it('is placed and read by the covered entity only: never with a patient-bound token (403), nor without AuditEvent rights (403)', async () => {
    const patient = await server.patient('sus-1', 'patient/*.*');
    expectOutcome(await suspend('sus-1', { agency: 'Police', end: '2030-01-01T00:00:00Z' }, patient), 403);
    expectOutcome(await patient.json('GET', 'Patient/sus-1/$accounting-suspensions'), 403);
    expectOutcome(await suspend('sus-1', { agency: 'Police', end: '2030-01-01T00:00:00Z' }, await server.scoped('system/AuditEvent.rs')), 403);
    expectOutcome(await suspend('nobody', { agency: 'Police', end: '2030-01-01T00:00:00Z' }), 404);
  });

  it('is only placed by POST (it changes state)', async () => {
    expect((await server.system.json('GET', 'Patient/sus-1/$suspend-accounting?agency=x&end=2030-01-01')).status).toBe(405);
  });
});
