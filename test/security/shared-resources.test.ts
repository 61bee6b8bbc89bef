import { A, B, type Caller, type SecureServer, expectOutcome, put, refsOf, seedTwoPatients, startSecureServer } from './support';

/**
 * Resources a patient token meets that are not simply "in A's record": shared resources outside every patient
 * compartment (Organization, Practitioner, ...), which it may read but not change, and Groups, whose member list
 * names other patients.
 */
let server: SecureServer;
let patientA: Caller;
beforeAll(async () => {
  server = await startSecureServer();
  await seedTwoPatients(server.system);
  await put(server.system, { resourceType: 'Organization', id: 'hospital', name: 'General Hospital' });
  await put(server.system, { resourceType: 'Practitioner', id: 'dr-who', name: [{ family: 'Who' }] });
  await put(server.system, {
    resourceType: 'Group',
    id: 'cohort',
    type: 'person',
    actual: true,
    member: [{ entity: { reference: `Patient/${A}` } }, { entity: { reference: `Patient/${B}` } }],
  });
  await put(server.system, { resourceType: 'Group', id: 'just-a', type: 'person', actual: true, member: [{ entity: { reference: `Patient/${A}` } }] });
  patientA = await server.patient(A, 'patient/*.*');
});
afterAll(() => server.close());

describe('shared resources outside every patient compartment', () => {
  it('may be read with a patient token (they are referenced from the patient record)', async () => {
    expect((await patientA.json('GET', 'Organization/hospital')).status).toBe(200);
    expect((await patientA.json('GET', 'Practitioner/dr-who')).status).toBe(200);
  });

  it('cannot be updated, patched or deleted with a patient token', async () => {
    const renamed = { resourceType: 'Organization', id: 'hospital', name: 'Renamed by patient A' };
    expectOutcome(await patientA.json('PUT', 'Organization/hospital', renamed), 403, 'forbidden');
    const patch = [{ op: 'replace', path: '/name/0/family', value: 'Renamed' }];
    expectOutcome(await patientA.json('PATCH', 'Practitioner/dr-who', patch, { 'content-type': 'application/json-patch+json' }), 403, 'forbidden');
    expectOutcome(await patientA.json('DELETE', 'Organization/hospital'), 403, 'forbidden');
    expectOutcome(await patientA.json('DELETE', 'Practitioner?family=Who'), 403, 'forbidden');
    const hospital = await server.system.json('GET', 'Organization/hospital');
    expect(hospital.status).toBe(200);
    expect(hospital.body.name).toBe('General Hospital');
    expect((await server.system.json('GET', 'Practitioner/dr-who')).body.name[0].family).toBe('Who');
  });

  it('cannot be created with a patient token, directly or in a bundle', async () => {
    expectOutcome(await patientA.json('POST', 'Organization', { resourceType: 'Organization', name: 'Fake clinic' }), 403, 'forbidden');
    const batch = await patientA.json('POST', '', {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [{ request: { method: 'PUT', url: 'Practitioner/fake' }, resource: { resourceType: 'Practitioner', id: 'fake' } }],
    });
    expect(batch.body.entry[0].response.status).toMatch(/^403/);
    expect((await server.system.json('GET', 'Organization?name=Fake')).body.total).toBe(0);
    expect((await server.system.json('GET', 'Practitioner/fake')).status).toBe(404);
  });

  it('can still be written by system and unbound user tokens', async () => {
    const practitioner = server.as(await server.sign({ scope: 'user/*.*', fhirUser: 'Practitioner/dr-who' }));
    const res = await practitioner.json('PUT', 'Organization/hospital', { resourceType: 'Organization', id: 'hospital', name: 'General Hospital' });
    expect(res.status).toBe(200);
  });
});

describe('Groups listing several patients', () => {
  it('does not show a patient token a Group that lists other patients too', async () => {
    expectOutcome(await patientA.json('GET', 'Group/cohort'), 404, 'not-found');
    const search = await patientA.json('GET', `Group?member=Patient/${A}`);
    expect(refsOf(search.body)).toEqual(['Group/just-a']);
    expect(refsOf((await patientA.json('GET', `Group?member=Patient/${B}`)).body)).toEqual([]);
    expect(refsOf((await patientA.json('GET', `Patient?_id=${A}&_revinclude=Group:member`)).body).sort()).toEqual(['Group/just-a', `Patient/${A}`]);
  });

  it('cannot reveal other members through _has on Group either', async () => {
    const res = await patientA.json('GET', 'Patient?_has:Group:member:_id=cohort');
    expect(refsOf(res.body)).toEqual([]);
  });
});
