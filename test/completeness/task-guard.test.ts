import type { Encounter, Resource } from 'fhir/r4';
import { flagStoredTasksOnce } from '../../src/completeness';
import { taskId } from '../../src/completeness/task';
import { HOLD_GUARD_COLLECTION, STRIPES, TASK_FLAGS_RECORDED } from '../../src/retention/hold-guard';
import type { TestServer } from '../helpers/server';
import { audit } from './audit-run';
import { DISCHARGE_SUMMARY, daysAgo, deficiencies, document, encounter, inZone, patient } from './charts';
import { as, startPolicyServer } from './policies';

/**
 * The `tasks` flag of the record guards (src/completeness/task-guard.ts): a write of an Encounter (or any resource a
 * rule is scoped on) looks its deficiency Tasks up only when its record's guards say one may exist. These state
 * that a Task is never missed: wherever it was created, and wherever its focus has moved since.
 */
let server: TestServer;
const admin = as('admin');

beforeAll(async () => {
  server = await startPolicyServer({ BULK_EXPORT_POLL: '20ms' });
});
afterAll(() => server.close());

async function store(...resources: Resource[]): Promise<void> {
  for (const r of resources) {
    const res = await server.json('PUT', `${r.resourceType}/${r.id}`, r, admin);
    if (res.status >= 300) throw new Error(`PUT ${r.resourceType}/${r.id}: ${res.status} ${JSON.stringify(res.body)}`);
  }
}

const guards = () => server.systemRepo.db.collection<{ _id: string; tasks?: boolean }>(HOLD_GUARD_COLLECTION);
const flaggedOf = async (key: string) =>
  (
    await guards()
      .find({ _id: { $regex: `^${key}(#|$)` }, tasks: true })
      .toArray()
  ).length;
const task = async (encounterId: string) => (await server.json('GET', `Task/${taskId('discharge-summary', `Encounter/${encounterId}`)}`, undefined, admin)).body;

/** A finished inpatient stay two days ago without its discharge summary: deficient. */
const stay = (id: string, patientId: string, status: Encounter['status'] = 'finished') => encounter(id, { patient: patientId, status, end: inZone(daysAgo(2), 'Z') });

/** Stores the discharge-summary Task `$completeness` reports for a stay, as a client (or an import) would. */
async function storeTask(encounterId: string): Promise<void> {
  await store((await deficiencies(server, encounterId, admin))['discharge-summary']);
}

it('is set on every guard of the record of a focus the audit creates a Task for; a later update of it evaluates the Task again', async () => {
  await store(patient('audited'), patient('no-tasks'), stay('audited-stay', 'audited'), stay('other-stay', 'no-tasks', 'in-progress'));
  await audit(server, [
    { name: 'rule', valueCode: 'discharge-summary' },
    { name: 'patient', valueReference: { reference: 'Patient/audited' } },
  ]);
  expect((await task('audited-stay')).status).toBe('requested');
  expect(await flaggedOf('Patient/audited')).toBe(1 + STRIPES);
  expect(await flaggedOf('Patient/no-tasks')).toBe(0);
  await store(stay('audited-stay', 'audited', 'entered-in-error'));
  expect((await task('audited-stay')).status).toBe('cancelled');
});

it('is set by a deficiency Task a client stores', async () => {
  await store(patient('client'), stay('client-stay', 'client'));
  await storeTask('client-stay');
  expect(await flaggedOf('Patient/client')).toBe(1 + STRIPES);
  await store(stay('client-stay', 'client', 'entered-in-error'));
  expect((await task('client-stay')).status).toBe('cancelled');
});

it('goes with an Encounter an update moves to another patient: a later update there evaluates its Task again', async () => {
  await store(patient('moved-from'), patient('moved-to'), stay('moving-stay', 'moved-from'));
  await storeTask('moving-stay');
  expect(await flaggedOf('Patient/moved-to')).toBe(0);
  await store(stay('moving-stay', 'moved-to'));
  expect(await flaggedOf('Patient/moved-to')).toBe(1 + STRIPES);
  await store(stay('moving-stay', 'moved-to', 'entered-in-error'));
  expect((await task('moving-stay')).status).toBe('cancelled');
});

it('goes with an Encounter that named no patient when its Task was created, once an update gives it one', async () => {
  const { subject: _none, ...unassigned } = stay('unassigned-stay', 'nobody');
  await store(patient('assigned'), unassigned as Encounter);
  await storeTask('unassigned-stay');
  // Its own guard records the Task: an Encounter of no patient has no record guard.
  expect(await flaggedOf('Encounter/unassigned-stay')).toBe(1);
  await store(stay('unassigned-stay', 'assigned'));
  expect(await flaggedOf('Patient/assigned')).toBe(1 + STRIPES);
  await store(stay('unassigned-stay', 'assigned', 'entered-in-error'));
  expect((await task('unassigned-stay')).status).toBe('cancelled');
});

it("is not needed for a document naming an encounter of another patient's record: its Task is looked up", async () => {
  await store(patient('stay-owner'), patient('document-owner'), stay('named-stay', 'stay-owner'));
  await storeTask('named-stay');
  expect(await flaggedOf('Patient/document-owner')).toBe(0);
  await store(document('named-summary', { patient: 'document-owner', encounter: 'named-stay', loinc: DISCHARGE_SUMMARY }));
  expect((await task('named-stay')).status).toBe('completed');
});

it('is set at start-up, once per store, for Tasks stored before the guards carried it', async () => {
  await store(patient('older'), stay('older-stay', 'older'));
  await storeTask('older-stay');
  // A store written by an earlier version: the Task is there, the flags and their marker are not.
  await guards().updateMany({ _id: { $regex: '^Patient/older(#|$)' } }, { $unset: { tasks: '' } });
  await guards().deleteOne({ _id: TASK_FLAGS_RECORDED });
  await flagStoredTasksOnce(server.systemRepo.db);
  expect(await flaggedOf('Patient/older')).toBe(1 + STRIPES);
  expect(await guards().findOne({ _id: TASK_FLAGS_RECORDED })).not.toBeNull();
  await store(stay('older-stay', 'older', 'entered-in-error'));
  expect((await task('older-stay')).status).toBe('cancelled');
});
