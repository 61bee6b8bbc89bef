import { A, B, type Caller, type SecureServer, binary, docRef, expectOutcome, put, refsOf, seedTwoPatients, startSecureServer } from './support';

/**
 * Types outside the R4 Patient compartment, seen with a token bound to patient A (docs/patient-access.md): linked
 * types (Device.patient) by their patient, Binary by its securityContext target at read time, shared types
 * (Organization) as they are, every other type (Bundle, Linkage, ...) not at all.
 */
let server: SecureServer;
let patientA: Caller;

beforeAll(async () => {
  server = await startSecureServer();
  await seedTwoPatients(server.system);
  await put(server.system, docRef('doc-a', A));
  await put(server.system, docRef('doc-b', B));
  await put(server.system, binary('bin-doc-a', { reference: 'DocumentReference/doc-a' }));
  await put(server.system, binary('bin-doc-b', { reference: 'DocumentReference/doc-b' }));
  await put(server.system, binary('bin-loose'));
  await put(server.system, { resourceType: 'Device', id: 'implant-a', patient: { reference: `Patient/${A}` } });
  await put(server.system, { resourceType: 'Device', id: 'implant-b', patient: { reference: `Patient/${B}` } });
  await put(server.system, {
    resourceType: 'Bundle',
    id: 'document-b',
    type: 'collection',
    entry: [{ fullUrl: `urn:uuid:1`, resource: { resourceType: 'Patient', name: [{ family: 'Brown' }] } }],
  });
  await put(server.system, {
    resourceType: 'Condition',
    id: 'cond-evidence',
    subject: { reference: `Patient/${A}` },
    code: { text: 'evidence points at B' },
    evidence: [{ detail: [{ reference: 'Binary/bin-doc-b' }, { reference: 'Binary/bin-doc-a' }] }],
  });
  await put(server.system, { resourceType: 'Organization', id: 'hospital', name: 'General Hospital' });
  patientA = await server.patient(A, 'patient/*.rs');
});
afterAll(() => server.close());

describe('Binary, read through its securityContext', () => {
  it("returns 404 to a patient token for a Binary whose securityContext is another patient's document", async () => {
    expectOutcome(await patientA.json('GET', 'Binary/bin-doc-b'), 404, 'not-found');
    expectOutcome(await patientA.json('GET', 'Binary/bin-doc-b/_history/1'), 404, 'not-found');
  });

  it("returns a Binary whose securityContext is the patient's own document", async () => {
    const res = await patientA.json('GET', 'Binary/bin-doc-a');
    expect(res.status).toBe(200);
    expect(res.body.securityContext.reference).toBe('DocumentReference/doc-a');
  });

  it('hides a Binary without securityContext from a patient token, not from a system token', async () => {
    expectOutcome(await patientA.json('GET', 'Binary/bin-loose'), 404, 'not-found');
    expect((await server.system.json('GET', 'Binary/bin-loose')).status).toBe(200);
  });

  it('lists no Binary to a patient token searching the type', async () => {
    const res = await patientA.json('GET', 'Binary');
    expect(res.status).toBe(200);
    expect(refsOf(res.body)).toEqual([]);
    expect((await server.system.json('GET', 'Binary')).body.total).toBe(3);
  });

  it("does not include another patient's Binary through _include=*", async () => {
    const res = await patientA.json('GET', `Condition?_id=cond-evidence&_include=*`);
    expect(res.status).toBe(200);
    expect(refsOf(res.body).sort()).toEqual(['Binary/bin-doc-a', 'Condition/cond-evidence', `Patient/${A}`]);
  });

  it('follows its securityContext target when that document moves to another patient', async () => {
    await put(server.system, docRef('doc-moving', A));
    await put(server.system, binary('bin-doc-moving', { reference: 'DocumentReference/doc-moving' }));
    expect((await patientA.json('GET', 'Binary/bin-doc-moving')).status).toBe(200);
    await put(server.system, docRef('doc-moving', B));
    expectOutcome(await patientA.json('GET', 'Binary/bin-doc-moving'), 404, 'not-found');
  });

  it('answers a user token for a Binary only when the token may read the securityContext target', async () => {
    const binaryOnly = server.as(await server.sign({ scope: 'user/Binary.rs' }));
    expectOutcome(await binaryOnly.json('GET', 'Binary/bin-doc-a'), 404, 'not-found');
    expect((await binaryOnly.json('GET', 'Binary/bin-loose')).status).toBe(200);
    const withDocs = server.as(await server.sign({ scope: 'user/Binary.rs user/DocumentReference.rs' }));
    expect((await withDocs.json('GET', 'Binary/bin-doc-a')).status).toBe(200);
  });
});

describe('Binary writes and counts by a token that may not read the securityContext target', () => {
  it('refuses to update a Binary whose target it cannot read, and leaves it unchanged', async () => {
    const writer = server.as(await server.sign({ scope: 'user/Binary.cruds' }));
    expectOutcome(await writer.json('PUT', 'Binary/bin-doc-b', binary('bin-doc-b')), 403, 'forbidden');
    const stored = await server.system.json('GET', 'Binary/bin-doc-b');
    expect(stored.body.securityContext.reference).toBe('DocumentReference/doc-b');
    expect(stored.body.meta.versionId).toBe('1');
  });

  it('deletes nothing when asked to delete a Binary whose target it cannot read', async () => {
    const writer = server.as(await server.sign({ scope: 'user/Binary.cruds' }));
    const res = await writer.json('DELETE', 'Binary/bin-doc-b');
    expect(res.status).toBeLessThan(300);
    expect((await server.system.json('GET', 'Binary/bin-doc-b')).status).toBe(200);
  });

  it('counts what its search lists: the policy filter bounds both, the target check is for reads', async () => {
    const searcher = server.as(await server.sign({ scope: 'user/Binary.rs' }));
    const res = await searcher.json('GET', 'Binary?_total=accurate');
    expect(res.body.total).toBe(refsOf(res.body).length);
  });
});

describe('types linked to a patient outside the compartment definition', () => {
  it("finds only the patient's own Device, by search or by id", async () => {
    expect(refsOf((await patientA.json('GET', `Device?patient=${B}`)).body)).toEqual([]);
    expect(refsOf((await patientA.json('GET', 'Device')).body)).toEqual(['Device/implant-a']);
    expectOutcome(await patientA.json('GET', 'Device/implant-b'), 404, 'not-found');
    expect((await patientA.json('GET', 'Device/implant-a')).status).toBe(200);
  });

  it('lets a patient token write its own Device but not one of another patient', async () => {
    const writer = await server.patient(A, 'patient/Device.cruds');
    const own = await writer.json('POST', 'Device', { resourceType: 'Device', patient: { reference: `Patient/${A}` } });
    expect(own.status).toBe(201);
    const other = await writer.json('POST', 'Device', { resourceType: 'Device', patient: { reference: `Patient/${B}` } });
    expect([403, 422]).toContain(other.status);
    expect(refsOf((await server.system.json('GET', `Device?patient=${B}`)).body)).toEqual(['Device/implant-b']);
  });
});

describe("types that can carry any patient's data", () => {
  it('hides a Bundle from a patient token, by id and by search', async () => {
    expectOutcome(await patientA.json('GET', 'Bundle/document-b'), 404, 'not-found');
    expect(refsOf((await patientA.json('GET', 'Bundle')).body)).toEqual([]);
    expect((await server.system.json('GET', 'Bundle/document-b')).status).toBe(200);
  });

  it('still shows shared resources such as Organization', async () => {
    expect((await patientA.json('GET', 'Organization/hospital')).status).toBe(200);
  });
});
