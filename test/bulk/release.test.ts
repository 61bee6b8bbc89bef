import type { AuditEvent } from 'fhir/r4';
import { A, B, type SecureServer, put, seedTwoPatients, startSecureServer } from '../security/support';
import { downloadLines } from '../helpers/ndjson';

/**
 * Releasing Bulk Data export files under real SMART tokens: who may reach a job (its client AND its patient context),
 * what a patient token's export contains (exactly what its searches show), and the audit trail of every status
 * poll, download and cancel. Every patient of one SMART app shares the app's client_id, so the client alone must
 * not decide.
 */
let server: SecureServer;
let tokenA: string;
let tokenB: string;
/** A system/*.read token of the same app (client_id test-app) as the patients'. */
let tokenSystem: string;

beforeAll(async () => {
  server = await startSecureServer({ BULK_EXPORT_POLL: '20ms' });
  await seedTwoPatients(server.system);
  tokenA = await server.sign({ scope: 'patient/*.read', patient: A });
  tokenB = await server.sign({ scope: 'patient/*.read', patient: B });
  tokenSystem = await server.sign({ scope: 'system/*.read' });
});
afterAll(() => server.close());

const bearer = (token?: string): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});

/** Kicks an export off with `token`; returns the status URL. */
async function kickoff(path: string, token: string): Promise<string> {
  const res = await server.api(path, { headers: { prefer: 'respond-async', accept: 'application/fhir+json', ...bearer(token) } });
  expect(res.status).toBe(202);
  await res.arrayBuffer();
  return res.headers.get('content-location') as string;
}

interface Manifest {
  output: Array<{ type: string; url: string }>;
}

async function waitDone(statusUrl: string, token: string): Promise<Manifest> {
  for (;;) {
    const res = await fetch(statusUrl, { headers: { accept: 'application/json', ...bearer(token) } });
    if (res.status !== 202) {
      expect(res.status).toBe(200);
      return (await res.json()) as Manifest;
    }
    await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function status(url: string, token?: string, method = 'GET'): Promise<number> {
  const res = await fetch(url, { method, headers: { accept: 'application/fhir+json', ...bearer(token) } });
  await res.arrayBuffer();
  return res.status;
}

/** Every resource of every output file, downloaded with `token`. */
const exported = (manifest: Manifest, token: string): Promise<Array<{ resourceType: string; id: string; [k: string]: unknown }>> => downloadLines(manifest.output, token);

const jobIdOf = (statusUrl: string) => statusUrl.split('/').pop() as string;

/** The AuditEvents naming `name` as an entity, once every queued event is stored ($verify-chain drains the queue). */
async function eventsNaming(name: string): Promise<AuditEvent[]> {
  expect((await server.system.json('GET', 'AuditEvent/$verify-chain')).status).toBe(200);
  const res = await server.system.json('GET', `AuditEvent?entity-name=${encodeURIComponent(name)}&_count=1000`);
  expect(res.status).toBe(200);
  return (res.body.entry ?? []).map((e: { resource: AuditEvent }) => e.resource);
}

const patientsNamed = (e: AuditEvent) => (e.entity ?? []).filter((x) => x.role?.code === '1').map((x) => x.what?.reference);
const clientOf = (e: AuditEvent) => e.agent.find((a) => a.who?.identifier?.value)?.who?.identifier?.value;
const entityNames = (e: AuditEvent) => (e.entity ?? []).map((x) => x.name).filter(Boolean);

describe('who may poll, download and cancel an export', () => {
  it("refuses a patient token access to another patient's export status, files and cancel, though both use the same app", async () => {
    const loc = await kickoff('Patient/$export', tokenA);
    const manifest = await waitDone(loc, tokenA);
    expect(manifest.output.length).toBeGreaterThan(0);

    expect(await status(loc, tokenB)).toBe(403);
    for (const f of manifest.output) expect(await status(f.url, tokenB)).toBe(403);
    expect(await status(loc, tokenB, 'DELETE')).toBe(403);

    // Untouched by B's attempts: A (with a fresh token of the same launch) still gets its own data.
    const again = await server.sign({ scope: 'patient/*.read', patient: A });
    const rows = await exported(await waitDone(loc, again), again);
    expect(rows.filter((r) => r.resourceType === 'Patient').map((r) => r.id)).toEqual([A]);
  });

  it("refuses a system token of the same client a patient's export, and a patient token the client's system export", async () => {
    const patientJob = await kickoff('Patient/$export', tokenA);
    const patientFiles = await waitDone(patientJob, tokenA);
    expect(await status(patientJob, tokenSystem)).toBe(403);
    expect(await status(patientFiles.output[0].url, tokenSystem)).toBe(403);

    const systemJob = await kickoff('$export?_type=Patient', tokenSystem);
    const systemFiles = await waitDone(systemJob, tokenSystem);
    expect(await status(systemJob, tokenA)).toBe(403);
    expect(await status(systemFiles.output[0].url, tokenA)).toBe(403);
    expect(await status(systemJob, tokenA, 'DELETE')).toBe(403);
    expect(await status(systemFiles.output[0].url, tokenSystem)).toBe(200);
  });

  it("refuses one practitioner the export another practitioner started with the same app's user/ token", async () => {
    const drX = await server.sign({ scope: 'user/*.read', fhirUser: 'Practitioner/dr-x', sub: 'dr-x' });
    const drY = await server.sign({ scope: 'user/*.read', fhirUser: 'Practitioner/dr-y', sub: 'dr-y' });
    const loc = await kickoff('Patient/$export?_type=Patient', drX);
    const manifest = await waitDone(loc, drX);
    expect(await status(loc, drY)).toBe(403);
    expect(await status(manifest.output[0].url, drY)).toBe(403);
    expect(await status(manifest.output[0].url, drX)).toBe(200);
  });

  it('lets the patient cancel its own export, after which the status URL is gone', async () => {
    const loc = await kickoff('Patient/$export', tokenA);
    await waitDone(loc, tokenA);
    expect(await status(loc, tokenA, 'DELETE')).toBe(202);
    expect(await status(loc, tokenA)).toBe(404);
  });
});

describe("a patient token's export reads what its searches read", () => {
  it('leaves out Groups and AuditEvents naming other patients, as its searches do', async () => {
    const group = (id: string, members: string[]) => ({
      resourceType: 'Group',
      id,
      type: 'person',
      actual: true,
      member: members.map((m) => ({ entity: { reference: `Patient/${m}` } })),
    });
    await put(server.system, group('grp-both', [A, B]));
    await put(server.system, group('grp-a', [A]));
    // A system search returning both patients leaves an AuditEvent naming both.
    expect((await server.system.json('GET', `Patient?_id=${A},${B}`)).status).toBe(200);
    expect((await server.as(tokenA).json('GET', `Patient/${A}`)).status).toBe(200);
    expect((await server.system.json('GET', 'AuditEvent/$verify-chain')).status).toBe(200);

    const rows = await exported(await waitDone(await kickoff('Patient/$export?_type=Group,AuditEvent', tokenA), tokenA), tokenA);
    const groups = rows.filter((r) => r.resourceType === 'Group').map((r) => r.id);
    const events = rows.filter((r) => r.resourceType === 'AuditEvent') as unknown as AuditEvent[];
    expect(groups).toEqual(['grp-a']);
    expect(events.length).toBeGreaterThan(0);
    expect(events.filter((e) => JSON.stringify(e).includes(`Patient/${B}`))).toEqual([]);

    // The same bound as A's own searches.
    const searched = (await server.as(tokenA).json('GET', 'Group?_count=1000')).body;
    expect((searched.entry ?? []).map((e: { resource: { id: string } }) => e.resource.id)).toEqual(['grp-a']);
    const seen = new Set(((await server.as(tokenA).json('GET', 'AuditEvent?_count=1000')).body.entry ?? []).map((e: { resource: { id: string } }) => e.resource.id));
    expect(events.filter((e) => !seen.has(e.id as string))).toEqual([]);
  });

  it('still exports a multi-patient Group to a system token selecting that Group as its cohort', async () => {
    const rows = await exported(await waitDone(await kickoff('Group/grp-both/$export?_type=Group,Patient', tokenSystem), tokenSystem), tokenSystem);
    expect(rows.map((r) => `${r.resourceType}/${r.id}`).sort()).toEqual(expect.arrayContaining(['Group/grp-both', `Patient/${A}`, `Patient/${B}`]));
  });
});

describe('the audit trail of an export', () => {
  it('records a file download as an AuditEvent naming the client, the job, the file and the patient', async () => {
    const loc = await kickoff('Patient/$export?_type=Patient', tokenA);
    const manifest = await waitDone(loc, tokenA);
    await exported(manifest, tokenA);
    const job = jobIdOf(loc);
    const file = manifest.output[0].url.split('/').pop() as string;

    const downloads = (await eventsNaming(job)).filter((e) => entityNames(e).includes(file));
    expect(downloads).toHaveLength(1);
    const [event] = downloads;
    expect(event).toMatchObject({ action: 'R', outcome: '0' });
    expect(clientOf(event)).toBe('test-app');
    expect(patientsNamed(event)).toEqual([`Patient/${A}`]);
    expect(JSON.stringify(event)).toContain(manifest.output[0].url);

    // In A's compartment: A's own AuditEvent search shows it; B's does not.
    const seenBy = async (token: string) =>
      ((await server.as(token).json('GET', 'AuditEvent?_count=1000')).body.entry ?? []).map((e: { resource: { id: string } }) => e.resource.id);
    expect(await seenBy(tokenA)).toContain(event.id);
    expect(await seenBy(tokenB)).not.toContain(event.id);
  });

  /** The query an event sealed (src/audit/query-text.ts), read back with AuditEvent/[id]/$query-text. */
  const queryText = async (e: AuditEvent): Promise<string> => (await server.system.json('GET', `AuditEvent/${e.id}/$query-text`)).body.parameter[0].valueString;

  it('records the kick-off of a patient token in that patient record, and every status poll', async () => {
    const loc = await kickoff('Patient/$export?_type=Condition', tokenA);
    await waitDone(loc, tokenA);
    const job = jobIdOf(loc);
    const polls = await eventsNaming(job);
    expect(polls.length).toBeGreaterThan(0);
    expect(polls.every((e) => e.outcome === '0' && clientOf(e) === 'test-app')).toBe(true);
    expect(polls.every((e) => patientsNamed(e).join() === `Patient/${A}`)).toBe(true);

    expect((await server.system.json('GET', 'AuditEvent/$verify-chain')).status).toBe(200);
    // The query's values are sealed under the patient's key (src/audit/query-text.ts): $query-text reads them.
    const candidates = ((await server.system.json('GET', `AuditEvent?patient=Patient/${A}&_count=1000`)).body.entry ?? [])
      .map((e: { resource: AuditEvent }) => e.resource as AuditEvent)
      .filter((e: AuditEvent) => (e.entity ?? []).some((x) => x.description === 'Patient/$export?_type=…'));
    const texts = await Promise.all(candidates.map(queryText));
    expect(texts).toContain('Patient/$export?_type=Condition');
  });

  it('names the job in the kick-off AuditEvent, so an export is traced from request to last download by its id', async () => {
    const loc = await kickoff('$export?_type=Patient', tokenSystem);
    await waitDone(loc, tokenSystem);
    const events = await eventsNaming(jobIdOf(loc));
    const kickoffs = events.filter((e) => (e.entity ?? []).some((x) => x.description === '$export?_type=…'));
    expect(kickoffs).toHaveLength(1);
    expect(await queryText(kickoffs[0])).toBe('$export?_type=Patient');
    expect(kickoffs[0]).toMatchObject({ outcome: '0' });
    expect(kickoffs[0].entity?.some((x) => x.what?.identifier?.value === loc)).toBe(true);
  });

  it('records refused access (403), a missing token (401) and a cancel', async () => {
    const loc = await kickoff('Patient/$export?_type=Patient', tokenA);
    const manifest = await waitDone(loc, tokenA);
    const job = jobIdOf(loc);
    expect(await status(manifest.output[0].url, tokenB)).toBe(403);
    expect(await status(loc)).toBe(401);
    expect(await status(loc, tokenA, 'DELETE')).toBe(202);

    const events = await eventsNaming(job);
    const refused = events.filter((e) => e.outcome === '4' && e.outcomeDesc?.startsWith('HTTP 403'));
    expect(refused).toHaveLength(1);
    expect(clientOf(refused[0])).toBe('test-app');
    // Nothing was released to B: the refusal does not put B's attempt into A's record.
    expect(patientsNamed(refused[0])).toEqual([]);

    const cancels = events.filter((e) => e.action === 'D');
    expect(cancels).toHaveLength(1);
    expect(cancels[0]).toMatchObject({ outcome: '0' });

    expect((await server.system.json('GET', 'AuditEvent/$verify-chain')).status).toBe(200);
    const unauthenticated = ((await server.system.json('GET', 'AuditEvent?outcome=4&_count=1000')).body.entry ?? [])
      .map((e: { resource: AuditEvent }) => e.resource as AuditEvent)
      .filter((e: AuditEvent) => e.outcomeDesc?.startsWith('HTTP 401') && JSON.stringify(e).includes(job));
    expect(unauthenticated).toHaveLength(1);
  });
});
