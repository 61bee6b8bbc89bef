import type { Parameters, ParametersParameter } from 'fhir/r4';
import { type SecureServer, expectOutcome } from '../security/support';
import { LAW_FIRM, client, seedPatient, startDisclosureServer } from './support';

/** `Patient/[id]/$access-report`: every access to the record by anyone, reads included, grouped by user and client. */
let server: SecureServer;
const P = 'ar-1';
const EVIL_CLIENT = '<img src=x onerror=alert(1)>';

beforeAll(async () => {
  server = await startDisclosureServer();
  await seedPatient(server, P);
  await seedPatient(server, 'ar-other', 'Other');
  const read = async (clientId: string, scope: string, claims: Record<string, unknown>, path = `Observation/obs-${P}`, status = 200) =>
    expect((await (await client(server, clientId, scope, claims)).json('GET', path)).status).toBe(status);
  await read('law-app', 'system/*.rs', {});
  await read('law-app', 'system/*.rs', {}, `Patient/${P}`);
  await read('hospital-app', 'system/*.rs', {});
  await read('clinic-app', 'user/*.rs', { fhirUser: 'Practitioner/dr-1' }, `Observation?patient=${P}`);
  await read('patient-app', 'user/*.rs', { fhirUser: `Patient/${P}` });
  // Refused, and another patient's: not accesses to this record.
  await read('nosy-app', 'system/Patient.rs', {}, `Observation/obs-${P}`, 403);
  await read('other-app', 'system/*.rs', {}, 'Observation/obs-ar-other');
  await read(EVIL_CLIENT, 'system/*.rs', {});
  // Placing a suspension is not an access, and the patient must not learn of it from this report.
  const suspended = await server.system.json('POST', `Patient/${P}/$suspend-accounting`, {
    resourceType: 'Parameters',
    parameter: [
      { name: 'agency', valueString: 'Police' },
      { name: 'end', valueDateTime: '2099-01-01T00:00:00Z' },
    ],
  });
  expect(suspended.status).toBe(201);
  expect((await server.system.json('GET', 'AuditEvent/$verify-chain')).status).toBe(200);
});
afterAll(() => server.close());

const parts = (p: ParametersParameter, name: string) => (p.part ?? []).filter((x) => x.name === name);
const value = (p: ParametersParameter, name: string) => {
  const x = parts(p, name)[0];
  return x?.valueString ?? x?.valueInteger ?? x?.valueDateTime ?? x?.valueCode;
};
const accessors = (r: Parameters) => (r.parameter ?? []).filter((p) => p.name === 'accessor');
const who = (r: Parameters) => accessors(r).map((a) => [value(a, 'user'), value(a, 'client')].filter(Boolean).join(' via '));

describe('the access report', () => {
  it('lists everyone who accessed the record, grouped by user and client, and nobody else', async () => {
    const res = await server.system.json('GET', `Patient/${P}/$access-report`);
    expect(res.status).toBe(200);
    expect(who(res.body).sort()).toEqual(['Patient/ar-1 via patient-app', 'Practitioner/dr-1 via clinic-app', 'hospital-app', 'law-app', 'test-app', EVIL_CLIENT].sort());
    expect(JSON.stringify(res.body)).not.toContain('nosy-app');
    expect(JSON.stringify(res.body)).not.toContain('other-app');
    expect(JSON.stringify(res.body)).not.toContain('suspend-accounting');
  });

  it('gives each access its date, action, resource types and purpose, and the group its recipient and count', async () => {
    const res = await server.system.json('GET', `Patient/${P}/$access-report`);
    const law = accessors(res.body).find((a) => value(a, 'client') === 'law-app')!;
    expect(value(law, 'recipient')).toBe(LAW_FIRM);
    expect(value(law, 'count')).toBe(2);
    const accesses = parts(law, 'access');
    expect(accesses.map((x) => value(x, 'interaction'))).toEqual(['read', 'read']);
    expect(accesses.map((x) => parts(x, 'type').map((t) => t.valueCode))).toEqual([['Observation'], []]);
    expect(accesses.every((x) => parts(x, 'purpose')[0]?.valueCode === 'HLEGAL')).toBe(true);
    expect(Date.parse(value(accesses[0], 'date') as string)).toBeLessThanOrEqual(Date.parse(value(accesses[1], 'date') as string));
    const clinic = accessors(res.body).find((a) => value(a, 'client') === 'clinic-app')!;
    expect(parts(clinic, 'access').map((x) => value(x, 'interaction'))).toEqual(['search']);
  });

  it('is given to the patient themself, not for another patient (404)', async () => {
    const own = await (await server.patient(P, 'patient/Patient.rs')).json('GET', `Patient/${P}/$access-report`);
    expect(own.status).toBe(200);
    expect(who(own.body)).toContain('law-app');
    expectOutcome(await (await server.patient(P, 'patient/*.rs')).json('GET', 'Patient/ar-other/$access-report'), 404);
  });

  it('covers its period only', async () => {
    const res = await server.system.json('GET', `Patient/${P}/$access-report?start=2000-01-01&end=2000-12-31`);
    expect(res.status).toBe(200);
    expect(accessors(res.body)).toEqual([]);
    expect(res.body.parameter.find((p: ParametersParameter) => p.name === 'end').valueDateTime).toBe('2000-12-31T23:59:59.999Z');
  });
});

describe('the printable access report', () => {
  it('escapes a client id chosen to be markup', async () => {
    const token = await server.sign({ scope: 'system/*.*' });
    const res = await server.api(`Patient/${P}/$access-report?_format=html`, { headers: { authorization: `Bearer ${token}` } });
    const [status, type, text] = [res.status, res.headers.get('content-type'), await res.text()];
    expect(status).toBe(200);
    expect(type).toBe('text/html; charset=utf-8');
    expect(text).toContain('client &lt;img src=x onerror=alert(1)&gt;');
    expect(text).not.toContain(EVIL_CLIENT);
    expect(text).toContain('client law-app, for Smith &amp; &lt;Jones&gt; LLP');
  });
});
