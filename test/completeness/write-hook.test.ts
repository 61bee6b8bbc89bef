import { startTestServer, type TestServer } from '../helpers/server';
import { DISCHARGE_SUMMARY, daysAgo, deficiencies, document, encounter, inZone, patient, practitioner, put } from './charts';

/** Stores the Task `$completeness` reports for a rule on an encounter, as an audit would, and returns its id. */
async function recordTask(server: TestServer, encounterId: string, rule: string): Promise<string> {
  const task = (await deficiencies(server, encounterId))[rule];
  expect(task).toBeDefined();
  await put(server, task);
  return task.id;
}

const read = async (server: TestServer, id: string) => (await server.json('GET', `Task/${id}`)).body;

describe('the write hook completes a deficiency when a later write fixes it, in the same transaction', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
    await put(server, patient('p1'), practitioner('doc'));
  });
  afterAll(() => server.close());

  it('completes the discharge-summary Task when the summary is created, saying it was in time', async () => {
    await put(server, encounter('stay-1', { patient: 'p1', end: inZone(daysAgo(2), '-05:00'), performer: 'doc' }));
    const id = await recordTask(server, 'stay-1', 'discharge-summary');
    const res = await server.json('POST', 'DocumentReference', document('x', { patient: 'p1', encounter: 'stay-1', loinc: DISCHARGE_SUMMARY, signed: 'doc' }));
    expect(res.status).toBe(201);
    const task = await read(server, id);
    expect(task.status).toBe('completed');
    expect(task.businessStatus.coding[0].code).toBe('deficient');
    expect(task.executionPeriod.end).toBeDefined();
    expect(task.meta.versionId).toBe('2');
  });

  it('says a deficiency fixed after its deadline was delinquent', async () => {
    await put(server, encounter('stay-late', { patient: 'p1', end: inZone(daysAgo(20), 'Z') }));
    const id = await recordTask(server, 'stay-late', 'discharge-summary');
    await put(server, document('late-summary', { patient: 'p1', encounter: 'stay-late', loinc: DISCHARGE_SUMMARY }));
    const task = await read(server, id);
    expect(task.status).toBe('completed');
    expect(task.businessStatus.coding[0].code).toBe('delinquent');
  });

  it('completes it when the summary arrives in a transaction Bundle, and opens it again when the summary is deleted', async () => {
    await put(server, encounter('stay-2', { patient: 'p1', end: inZone(daysAgo(1), 'Z') }));
    const id = await recordTask(server, 'stay-2', 'discharge-summary');
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          request: { method: 'PUT', url: 'DocumentReference/summary-2' },
          resource: document('summary-2', { patient: 'p1', encounter: 'stay-2', loinc: DISCHARGE_SUMMARY }),
        },
      ],
    };
    expect((await server.json('POST', '', bundle)).status).toBe(200);
    expect((await read(server, id)).status).toBe('completed');
    expect((await server.json('DELETE', 'DocumentReference/summary-2')).status).toBe(200);
    const reopened = await read(server, id);
    expect(reopened.status).toBe('requested');
    expect(reopened.executionPeriod).toBeUndefined();
  });

  it("keeps a clinician's in-progress status and notes while the deficiency stands", async () => {
    await put(server, encounter('stay-3', { patient: 'p1', end: inZone(daysAgo(1), 'Z') }));
    const id = await recordTask(server, 'stay-3', 'discharge-summary');
    const claimed = { ...(await read(server, id)), status: 'in-progress', note: [{ text: 'dictating today' }] };
    await put(server, claimed);
    // An unrelated document of the stay: the hook evaluates again, finds the summary still missing.
    await put(server, document('progress-3', { patient: 'p1', encounter: 'stay-3', loinc: '11506-3' }));
    const task = await read(server, id);
    expect(task.status).toBe('in-progress');
    expect(task.note).toEqual([{ text: 'dictating today' }]);
  });

  it('cancels the Task when its focus leaves the rule’s scope (the encounter marked entered-in-error, or deleted)', async () => {
    await put(server, encounter('stay-4', { patient: 'p1', end: inZone(daysAgo(1), 'Z') }), encounter('stay-5', { patient: 'p1', end: inZone(daysAgo(1), 'Z') }));
    const id4 = await recordTask(server, 'stay-4', 'discharge-summary');
    const id5 = await recordTask(server, 'stay-5', 'discharge-summary');
    await put(server, encounter('stay-4', { patient: 'p1', status: 'entered-in-error', end: inZone(daysAgo(1), 'Z') }));
    expect((await server.json('DELETE', 'Encounter/stay-5')).status).toBe(200);
    for (const id of [id4, id5]) {
      const task = await read(server, id);
      expect(task.status).toBe('cancelled');
      expect(task.statusReason.text).toMatch(/no longer in the scope of discharge-summary/);
    }
  });

  it('creates no Task on a write: new deficiencies are found by $completeness and the audit', async () => {
    await put(server, encounter('stay-6', { patient: 'p1', end: inZone(daysAgo(1), 'Z') }));
    expect((await server.json('GET', 'Task?focus=Encounter/stay-6')).body.total).toBe(0);
  });
});
