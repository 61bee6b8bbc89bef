import { startSecureServer, type Caller, type SecureServer } from '../security/support';
import { daysAgo, encounter, inZone, patient } from './charts';

/** Kicks off an audit as `caller` and polls it to its end; returns the final status. */
async function run(server: SecureServer, caller: Caller, parameter: object[] = []): Promise<number> {
  const kick = await caller.json('POST', '$completeness-audit', { resourceType: 'Parameters', parameter });
  if (kick.status !== 202) return kick.status;
  const path = (kick.headers.get('content-location') as string).slice(server.baseUrl.length + 1);
  for (;;) {
    const res = await caller.json('GET', path);
    if (res.status !== 202) return res.status;
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('$completeness-audit under SMART tokens', () => {
  let server: SecureServer;
  beforeAll(async () => {
    server = await startSecureServer({ BULK_EXPORT_POLL: '20ms' });
    for (const r of [patient('p1'), encounter('e1', { patient: 'p1', end: inZone(daysAgo(2), 'Z') })]) {
      expect((await server.system.json('PUT', `${r.resourceType}/${r.id}`, r)).status).toBe(201);
    }
  });
  afterAll(() => server.close());

  it('runs for a user or system token that may search what the rules read and write Tasks', async () => {
    expect(await run(server, await server.scoped('user/*.cruds'))).toBe(200);
    expect(await run(server, await server.scoped('system/*.cruds'))).toBe(200);
    const tasks = await server.system.json('GET', 'Task?focus=Encounter/e1');
    expect(tasks.body.total).toBe(3);
  });

  it('refuses a token that cannot write Tasks, or cannot search all of a type the chosen rules read (403)', async () => {
    expect(await run(server, await server.scoped('system/*.rs'))).toBe(403);
    const encountersOnly = await server.scoped('system/Encounter.rs system/Condition.rs system/Task.cruds');
    expect(await run(server, encountersOnly)).toBe(403);
    expect(await run(server, encountersOnly, [{ name: 'rule', valueCode: 'encounter-diagnosis' }])).toBe(200);
    const someNotes = await server.scoped(
      'system/Encounter.rs system/Condition.rs system/Patient.rs system/DocumentReference.rs?category=clinical-note system/Task.cruds',
    );
    expect(await run(server, someNotes)).toBe(403);
  });

  it('refuses a patient-bound token (403): an audit sweeps every chart', async () => {
    expect(await run(server, await server.patient('p1', 'patient/*.cruds'))).toBe(403);
  });
});
