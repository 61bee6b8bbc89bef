import type { AuditEvent, Bundle } from 'fhir/r4';
import { type SecureServer, put } from '../security/support';
import { LAW_FIRM, seedPatient, startDisclosureServer } from './support';

/**
 * A bulk export by a client registered as acting for a recipient outside the covered entity discloses every patient it
 * included: when it completes, one record per patient (export_disclosures), which the accounting lists whatever
 * becomes of the job and its files.
 */
let server: SecureServer;

beforeAll(async () => {
  server = await startDisclosureServer({ BULK_EXPORT_POLL: '20ms' });
  for (const p of ['exp-1', 'exp-2', 'exp-3']) await seedPatient(server, p);
  await put(server.system, { resourceType: 'Group', id: 'only-exp-2', type: 'person', actual: true, member: [{ entity: { reference: 'Patient/exp-2' } }] });
});
afterAll(() => server.close());

/** Kicks off `path` as `client`, waits for the manifest, and answers the status URL and the token. */
async function exportAs(client: string, path: string): Promise<{ status: string; token: string }> {
  const token = await server.sign({ client_id: client, scope: 'system/*.rs' });
  const headers = { authorization: `Bearer ${token}`, accept: 'application/fhir+json', prefer: 'respond-async' };
  const kickoff = await server.api(path, { headers });
  expect(kickoff.status).toBe(202);
  const status = kickoff.headers.get('content-location') as string;
  for (let i = 0; i < 600; i++) {
    const res = await fetch(status, { headers: { authorization: `Bearer ${token}` } });
    await res.arrayBuffer();
    if (res.status === 200) return { status, token };
    expect(res.status).toBe(202);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the export did not complete');
}

async function exportsListed(patient: string): Promise<AuditEvent[]> {
  const res = await server.system.json('GET', `Patient/${patient}/$disclosures`);
  expect(res.status).toBe(200);
  return ((res.body as Bundle).entry ?? [])
    .slice(1)
    .map((e) => e.resource as AuditEvent)
    .filter((e) => e.entity?.[0]?.description?.startsWith('bulk data export'));
}

describe('a bulk export by a client outside the covered entity', () => {
  it('is a disclosure of every patient it included, listed with recipient, types, purpose and job', async () => {
    const { status } = await exportAs('law-app', 'Patient/$export?_type=Patient,Observation');
    const job = status.split('/').pop() as string;
    for (const p of ['exp-1', 'exp-2', 'exp-3']) {
      const [listed] = await exportsListed(p);
      expect(listed.entity?.[0].description).toBe('bulk data export ($export) of Patient, Observation');
      expect(listed.agent.find((a) => a.type?.coding?.[0]?.code === 'IRCP')?.name).toBe(LAW_FIRM);
      expect(listed.purposeOfEvent?.flatMap((c) => c.coding ?? []).map((c) => c.code)).toEqual(['HLEGAL', 'judicial']);
      expect(listed.entity?.[1].what?.identifier?.value).toBe(`${server.baseUrl}/export-job/${job}`);
    }
  });

  it('discloses only the patients of a Group export', async () => {
    await exportAs('law-app', 'Group/only-exp-2/$export?_type=Observation');
    expect(await exportsListed('exp-2')).toHaveLength(2);
    expect(await exportsListed('exp-1')).toHaveLength(1);
  });

  it('keeps its records when the job and its files are deleted', async () => {
    const { status, token } = await exportAs('law-app', 'Group/only-exp-2/$export?_type=Patient');
    const deleted = await fetch(status, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    await deleted.arrayBuffer();
    expect(deleted.status).toBe(202);
    expect((await fetch(status, { headers: { authorization: `Bearer ${token}` } })).status).toBe(404);
    expect(await exportsListed('exp-2')).toHaveLength(3);
  });

  it('records nothing for a client inside the covered entity, or one not registered', async () => {
    await exportAs('inside-app', 'Group/only-exp-2/$export?_type=Patient');
    await exportAs('test-app', 'Group/only-exp-2/$export?_type=Patient');
    expect(await exportsListed('exp-2')).toHaveLength(3);
  });

  it('is not listed when its purpose is excluded (an outside hospital exporting for treatment)', async () => {
    await exportAs('hospital-app', 'Group/only-exp-2/$export?_type=Patient');
    expect(await exportsListed('exp-2')).toHaveLength(3);
    const log = await server.system.json('GET', 'AuditEvent/$verify-chain');
    expect(log.status).toBe(200);
  });
});
