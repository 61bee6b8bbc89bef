import { A, B, type Caller, type SecureServer, expectOutcome, put, refsOf, seedTwoPatients, startSecureServer } from './support';

/**
 * A patient token (patient/*.read or patient/*.*, `patient` claim A) against patient B's record: B's data is
 * absent everywhere, as if it did not exist (404, never 403, so its existence is not revealed either).
 */
let server: SecureServer;
let reader: Caller;
let writer: Caller;
beforeAll(async () => {
  server = await startSecureServer();
  await seedTwoPatients(server.system);
  reader = await server.patient(A, 'patient/*.read');
  writer = await server.patient(A, 'patient/*.*');
});
afterAll(() => server.close());

/** B's Condition as the system sees it: proof that a refused write changed nothing. */
async function condB1Version(): Promise<string> {
  const res = await server.system.json('GET', 'Condition/cond-b1');
  expect(res.status).toBe(200);
  return res.body.meta.versionId as string;
}

describe('reading another patient record with a patient token', () => {
  it('reads the own record (baseline)', async () => {
    expect((await reader.json('GET', `Patient/${A}`)).status).toBe(200);
    expect((await reader.json('GET', 'Condition/cond-a1')).status).toBe(200);
  });

  it('answers 404 to a read of the other Patient and of their Condition', async () => {
    expectOutcome(await reader.json('GET', `Patient/${B}`), 404, 'not-found');
    expectOutcome(await reader.json('GET', 'Condition/cond-b1'), 404, 'not-found');
    expectOutcome(await reader.json('GET', 'Encounter/enc-b'), 404, 'not-found');
  });

  it('answers 404 to a vread of every version of the other patient Condition', async () => {
    expectOutcome(await reader.json('GET', 'Condition/cond-b1/_history/1'), 404, 'not-found');
    expectOutcome(await reader.json('GET', 'Condition/cond-b1/_history/2'), 404, 'not-found');
  });

  it('answers 404 to instance history of the other patient resources', async () => {
    expectOutcome(await reader.json('GET', 'Condition/cond-b1/_history'), 404, 'not-found');
    expectOutcome(await reader.json('GET', `Patient/${B}/_history`), 404, 'not-found');
  });

  it('leaves the other patient versions out of type and system history', async () => {
    const type = await reader.json('GET', 'Condition/_history?_count=100');
    expect(type.status).toBe(200);
    expect(refsOf(type.body)).toContain('Condition/cond-a1');
    expect(refsOf(type.body)).not.toContain('Condition/cond-b1');
    const system = await reader.json('GET', '_history?_count=100');
    expect(system.status).toBe(200);
    const refs = refsOf(system.body);
    expect(refs).toContain(`Patient/${A}`);
    expect(refs.filter((r) => [`Patient/${B}`, 'Condition/cond-b1', 'Encounter/enc-b'].includes(r))).toEqual([]);
  });

  it('leaves the other patient out of searches, totals and counts', async () => {
    const conditions = await reader.json('GET', 'Condition?_count=100');
    expect(refsOf(conditions.body).sort()).toEqual(['Condition/cond-a1', 'Condition/cond-a2']);
    expect(conditions.body.total).toBe(2);
    expect(refsOf((await reader.json('GET', 'Patient')).body)).toEqual([`Patient/${A}`]);
    expect(refsOf((await reader.json('GET', `Patient?_id=${B}`)).body)).toEqual([]);
    expect(refsOf((await reader.json('GET', `Condition?subject=Patient/${B}`)).body)).toEqual([]);
    expect((await reader.json('GET', `Condition?subject=Patient/${B}&_summary=count`)).body.total).toBe(0);
    expect(refsOf((await reader.json('GET', `?_type=Patient,Condition,Encounter&_count=100`)).body)).not.toEqual(expect.arrayContaining([`Patient/${B}`]));
  });

  it('finds nothing in a compartment search of the other patient', async () => {
    const res = await reader.json('GET', `Patient/${B}/Condition`);
    if (res.status === 200) expect(refsOf(res.body)).toEqual([]);
    else expectOutcome(res, 404, 'not-found');
    expect(refsOf((await reader.json('GET', `Patient/${A}/Condition`)).body).sort()).toEqual(['Condition/cond-a1', 'Condition/cond-a2']);
  });

  it('keeps the other patient data out of conditional reads (If-None-Exist matching B)', async () => {
    const res = await writer.json(
      'POST',
      'Condition',
      { resourceType: 'Condition', subject: { reference: `Patient/${A}` }, code: { text: 'own' } },
      { 'if-none-exist': '_id=cond-b1' },
    );
    expect(res.status).toBe(201);
    expect(res.body.id).not.toBe('cond-b1');
    expect(res.body.subject.reference).toBe(`Patient/${A}`);
  });
});

describe('writing into another patient record with a patient token', () => {
  it('refuses to create a resource in the other patient compartment (403)', async () => {
    const res = await writer.json('POST', 'Condition', { resourceType: 'Condition', subject: { reference: `Patient/${B}` } });
    expect([403, 404, 422]).toContain(res.status);
    expectOutcome(res, res.status);
    expect(refsOf((await server.system.json('GET', `Condition?subject=Patient/${B}`)).body)).toEqual(['Condition/cond-b1']);
  });

  it('refuses a resource that names both patients, which would land in the other patient record', async () => {
    // Observation's compartment parameters are subject and performer: naming A as performer must not let A write
    // into B's record.
    const obs = {
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'planted by patient A' },
      subject: { reference: `Patient/${B}` },
      performer: [{ reference: `Patient/${A}` }],
    };
    const res = await writer.json('POST', 'Observation', obs);
    expect([403, 404, 422]).toContain(res.status);
    expect(refsOf((await server.system.json('GET', `Observation?subject=Patient/${B}`)).body)).toEqual([]);
  });

  it('refuses to write into the record of a patient it may read through a Patient.link (both compartments)', async () => {
    // Patient C links to A, so C is in A's compartment (Patient's compartment parameter is `link`) and A may read
    // C; a resource naming C as subject and A as performer would still land in C's record.
    await put(server.system, { resourceType: 'Patient', id: 'pat-c', link: [{ other: { reference: `Patient/${A}` }, type: 'seealso' }] });
    expect((await writer.json('GET', 'Patient/pat-c')).status).toBe(200);
    const obs = {
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'planted by patient A' },
      subject: { reference: 'Patient/pat-c' },
      performer: [{ reference: `Patient/${A}` }],
    };
    expectOutcome(await writer.json('POST', 'Observation', obs), 403, 'forbidden');
    expect(refsOf((await server.system.json('GET', 'Observation?subject=Patient/pat-c')).body)).toEqual([]);
    const own = await writer.json('POST', 'Observation', { ...obs, subject: { reference: `Patient/${A}` } }, { prefer: 'return=minimal' });
    expect(own.status).toBe(201);
  });

  it('answers an update, patch or delete of the other patient Condition as for an id that does not exist, changing nothing', async () => {
    const before = await condB1Version();
    const body = { resourceType: 'Condition', id: 'cond-b1', subject: { reference: `Patient/${B}` }, note: [{ text: 'x' }] };
    // Reference validation sees Patient/B as absent, exactly as for an id that does not exist: 422, no oracle.
    const sameSubject = await writer.json('PUT', 'Condition/cond-b1', body);
    expectOutcome(sameSubject, 422, 'not-found');
    expect(JSON.stringify(sameSubject.body)).toContain(`Patient/${B} does not exist`);
    // Update-as-create is not offered to a patient-bound token: a hidden id and an unused one get the same 403.
    const hidden = await writer.json('PUT', 'Condition/cond-b1', { ...body, subject: { reference: `Patient/${A}` } });
    const unused = await writer.json('PUT', 'Condition/no-such-condition', { ...body, id: 'no-such-condition', subject: { reference: `Patient/${A}` } });
    expectOutcome(hidden, 403, 'forbidden');
    expectOutcome(unused, 403, 'forbidden');
    expect(hidden.body.issue[0].diagnostics.replace('cond-b1', 'X')).toBe(unused.body.issue[0].diagnostics.replace('no-such-condition', 'X'));
    expect((await server.system.json('GET', 'Condition/no-such-condition')).status).toBe(404);
    const patch = [{ op: 'add', path: '/note', value: [{ text: 'x' }] }];
    const patched = await writer.json('PATCH', 'Condition/cond-b1', patch, { 'content-type': 'application/json-patch+json' });
    expectOutcome(patched, 404, 'not-found');
    const deleted = await writer.json('DELETE', 'Condition/cond-b1');
    expect([200, 204, 404]).toContain(deleted.status);
    expect(await condB1Version()).toBe(before);
  });

  it('refuses to move an own resource into the other patient record', async () => {
    const current = (await writer.json('GET', 'Condition/cond-a2')).body;
    const res = await writer.json('PUT', 'Condition/cond-a2', { ...current, subject: { reference: `Patient/${B}` } });
    expect([403, 422]).toContain(res.status);
    expectOutcome(res, res.status);
    expect((await server.system.json('GET', 'Condition/cond-a2')).body.subject.reference).toBe(`Patient/${A}`);
  });

  it('does not let conditional update, delete or create reach the other patient resources', async () => {
    const before = await condB1Version();
    const update = await writer.json('PUT', `Condition?_id=cond-b1`, {
      resourceType: 'Condition',
      subject: { reference: `Patient/${A}` },
      code: { text: 'conditional update matching B' },
    });
    // Nothing matches for A: the update creates A's own resource, and B's is untouched.
    expect(update.status).toBe(201);
    expect(update.body.id).not.toBe('cond-b1');
    const withB = await writer.json('PUT', `Condition?_id=cond-b1`, {
      resourceType: 'Condition',
      id: 'cond-b1',
      subject: { reference: `Patient/${A}` },
    });
    expectOutcome(withB, 403, 'forbidden');
    const del = await writer.json('DELETE', `Condition?code=b-code`);
    expect(del.status).toBe(200);
    expect(await condB1Version()).toBe(before);
    expect((await server.system.json('GET', `Patient/${B}`)).status).toBe(200);
  });

  it('cannot create a new Patient outside its own compartment', async () => {
    const res = await writer.json('POST', 'Patient', { resourceType: 'Patient', name: [{ family: 'Intruder' }] });
    expectOutcome(res, 403, 'forbidden');
  });
});

describe('the patient claim cannot be used to widen the compartment', () => {
  it('grants nothing for a non-string patient claim such as {"$ne": null}', async () => {
    const caller = await server.patient({ $ne: null });
    expectOutcome(await caller.json('GET', `Patient/${B}`), 403, 'forbidden');
    expectOutcome(await caller.json('GET', 'Condition'), 403, 'forbidden');
  });

  it('grants nothing for an array of patients', async () => {
    const caller = await server.patient([A, B]);
    expectOutcome(await caller.json('GET', 'Condition'), 403, 'forbidden');
  });

  it('does not resolve a path-traversal patient claim such as ../Patient/B to B', async () => {
    const caller = await server.patient(`${A}/../Patient/${B}`);
    const read = await caller.json('GET', `Patient/${B}`);
    expect([403, 404]).toContain(read.status);
    const search = await caller.json('GET', 'Condition');
    if (search.status === 200) expect(refsOf(search.body)).not.toContain('Condition/cond-b1');
    const plain = await server.patient(`../Patient/${B}`);
    expect([403, 404]).toContain((await plain.json('GET', `Patient/${B}`)).status);
  });

  it('grants nothing for patient claims that are wildcards or query fragments', async () => {
    for (const claim of ['*', '', `${B}&_id=${A}`, `${B},${A}`, `Patient/${B}?x=1`, `${B}|`]) {
      const caller = await server.patient(claim);
      const res = await caller.json('GET', `Patient/${B}`);
      expect({ claim, status: res.status }).toEqual({ claim, status: 403 });
    }
  });

  it('does not let an unreadable Patient fhirUser act unbound with user/ scopes: the token is refused (401)', async () => {
    for (const fhirUser of [`Patient/${A}/../../Patient/${B}`, `https://ehr.test/fhir/Patient/${B}/_history/1`, 'Patient/a b', 'Patient/']) {
      const caller = server.as(await server.sign({ scope: 'user/*.read', fhirUser }));
      const res = await caller.json('GET', `Patient/${B}`);
      expect({ fhirUser, status: res.status }).toEqual({ fhirUser, status: 401 });
    }
  });

  it('accepts the documented forms of the claim: an id, Patient/id and the absolute Patient URL', async () => {
    for (const claim of [A, `Patient/${A}`, `${server.baseUrl}/Patient/${A}`]) {
      const caller = await server.patient(claim);
      expect({ claim, status: (await caller.json('GET', `Patient/${A}`)).status }).toEqual({ claim, status: 200 });
      expect((await caller.json('GET', `Patient/${B}`)).status).toBe(404);
    }
  });
});
