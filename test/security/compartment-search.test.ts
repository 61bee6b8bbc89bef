import { A, B, B_CODE, B_NAME, type Caller, type SecureServer, put, refsOf, seedTwoPatients, startSecureServer } from './support';

/**
 * Search features that follow references (_include, _revinclude, :iterate, chains, _has) run their inner queries
 * through the repository, so a patient token's compartment bound applies to every hop. The data is cross-linked
 * on purpose (by the system caller): A's cond-a1 points at B's Encounter enc-b, and B's cond-b2 points at A's
 * Encounter enc-a, so a hop that ignored the bound would surface B's resources.
 */
let server: SecureServer;
let reader: Caller;
beforeAll(async () => {
  server = await startSecureServer();
  await seedTwoPatients(server.system);
  await put(server.system, {
    resourceType: 'Condition',
    id: 'cond-b2',
    subject: { reference: `Patient/${B}` },
    encounter: { reference: 'Encounter/enc-a' },
    code: { coding: [{ system: 'urn:test:codes', code: B_CODE }] },
  });
  reader = await server.patient(A, 'patient/*.read');
});
afterAll(() => server.close());

const B_DATA = [`Patient/${B}`, 'Encounter/enc-b', 'Condition/cond-b1', 'Condition/cond-b2'];

/** Runs `query` as A (must answer 200) and returns what of B's data came back, which must be nothing. */
async function bLeaks(query: string, caller: Caller = reader): Promise<string[]> {
  const res = await caller.json('GET', query);
  expect({ query, status: res.status }).toEqual({ query, status: 200 });
  return refsOf(res.body).filter((r) => B_DATA.includes(r));
}

/** The same query as the system caller: proves the query would reach B's data without the bound. */
async function systemSees(query: string): Promise<string[]> {
  const res = await server.system.json('GET', query);
  expect(res.status).toBe(200);
  return refsOf(res.body);
}

describe('_include and _revinclude with a patient token', () => {
  it('does not include the other patient Encounter that an own Condition references', async () => {
    const q = 'Condition?_id=cond-a1&_include=Condition:encounter';
    expect(await systemSees(q)).toContain('Encounter/enc-b');
    expect(await bLeaks(q)).toEqual([]);
    expect(refsOf((await reader.json('GET', q)).body)).toEqual(['Condition/cond-a1']);
  });

  it('does not include through wildcard includes either', async () => {
    for (const q of ['Condition?_include=*', 'Condition?_include=Condition:*', 'Condition?_include=Condition:encounter:Encounter']) {
      expect(await bLeaks(q)).toEqual([]);
    }
  });

  it('revincludes only the patient own Conditions', async () => {
    const q = `Patient?_id=${A}&_revinclude=Condition:subject`;
    expect(refsOf((await reader.json('GET', q)).body).sort()).toEqual(['Condition/cond-a1', 'Condition/cond-a2', `Patient/${A}`]);
  });

  it('does not revinclude the other patient Condition that references an own Encounter', async () => {
    const q = 'Encounter?_id=enc-a&_revinclude=Condition:encounter';
    expect(await systemSees(q)).toContain('Condition/cond-b2');
    expect(await bLeaks(q)).toEqual([]);
  });

  it('does not reach the other patient through :iterate hops', async () => {
    const queries = [
      'Condition?_id=cond-a1&_include=Condition:encounter&_include:iterate=Encounter:subject',
      `Patient?_id=${A}&_revinclude=Condition:subject&_include:iterate=Condition:encounter`,
      'Encounter?_id=enc-a&_revinclude=Condition:encounter&_include:iterate=Condition:subject',
      `Patient?_id=${A}&_revinclude:iterate=Encounter:subject&_revinclude:iterate=Condition:encounter`,
      'Condition?_include:iterate=*&_revinclude:iterate=*',
    ];
    expect(await systemSees(queries[0])).toEqual(expect.arrayContaining(['Encounter/enc-b', `Patient/${B}`]));
    for (const q of queries) expect({ q, leaks: await bLeaks(q) }).toEqual({ q, leaks: [] });
  });

  it('keeps system-level searches with includes within the bound', async () => {
    expect(await bLeaks('?_type=Condition,Encounter&_include=Condition:encounter&_revinclude=Condition:encounter')).toEqual([]);
  });
});

describe('chained and reverse-chained searches with a patient token', () => {
  it('finds nothing by chaining to the other patient name', async () => {
    for (const q of [`Condition?subject:Patient.name=${B_NAME}`, `Condition?subject.name=${B_NAME}`, `Condition?patient.name=${B_NAME}`]) {
      expect(await systemSees(q)).toEqual(expect.arrayContaining(['Condition/cond-b1']));
      const res = await reader.json('GET', q);
      expect({ q, found: refsOf(res.body) }).toEqual({ q, found: [] });
    }
  });

  it('finds nothing by chaining through an own resource into the other patient record', async () => {
    // cond-a1 -> enc-b -> Patient B: the middle and last hops are B's.
    const q = `Condition?encounter.subject:Patient.name=${B_NAME}`;
    expect(await systemSees(q)).toContain('Condition/cond-a1');
    expect(refsOf((await reader.json('GET', q)).body)).toEqual([]);
  });

  it('cannot reveal the other patient through _has', async () => {
    const q = `Patient?_has:Condition:subject:code=${B_CODE}`;
    expect(await systemSees(q)).toEqual([`Patient/${B}`]);
    expect(refsOf((await reader.json('GET', q)).body)).toEqual([]);
    // B's cond-b2 references A's enc-a: _has must not let B's data select A's resources either.
    const own = `Encounter?_has:Condition:encounter:code=${B_CODE}`;
    expect(await systemSees(own)).toEqual(expect.arrayContaining(['Encounter/enc-a', 'Encounter/enc-b']));
    expect(refsOf((await reader.json('GET', own)).body)).toEqual([]);
  });

  it('cannot reveal the other patient through nested _has', async () => {
    const q = `Patient?_has:Encounter:subject:_has:Condition:encounter:code=${B_CODE}`;
    expect(await systemSees(q)).toEqual(expect.arrayContaining([`Patient/${B}`]));
    expect(refsOf((await reader.json('GET', q)).body)).not.toContain(`Patient/${B}`);
  });

  it('counts nothing of the other patient through chains or _has (_summary=count)', async () => {
    expect((await reader.json('GET', `Condition?subject.name=${B_NAME}&_summary=count`)).body.total).toBe(0);
    expect((await reader.json('GET', `Patient?_has:Condition:subject:code=${B_CODE}&_summary=count`)).body.total).toBe(0);
  });

  it('applies the bound to POST _search as to GET', async () => {
    const res = await server.json('POST', 'Condition/_search', `subject=Patient/${B}`, {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Bearer ${await server.sign({ scope: 'patient/*.read', patient: A })}`,
    });
    expect(res.status).toBe(200);
    expect(refsOf(res.body)).toEqual([]);
  });
});
