import { A, type Caller, type SecureServer, expectOutcome, observationFocusing, refsOf, seedTwoPatients, startSecureServer } from './support';

/**
 * SMART v2 granular scopes bound writes as they bound reads: with `patient/Condition.cruds?category=problem-list-item`
 * a token may create, change and delete problem-list Conditions of its patient, and nothing else. A Condition the
 * scope hides (cond-a2, an encounter diagnosis of the same patient) answers every write, and every reference to it
 * in a written resource, exactly as an id that does not exist, so writes cannot be used to find out which hidden ids
 * exist.
 */
const CATEGORY = 'http://terminology.hl7.org/CodeSystem/condition-category';
const PROBLEMS = `patient/Condition.cruds?category=${CATEGORY}|problem-list-item`;

let server: SecureServer;
let granular: Caller;
beforeAll(async () => {
  server = await startSecureServer();
  await seedTwoPatients(server.system);
  granular = await server.patient(A, PROBLEMS);
});
afterAll(() => server.close());

const condition = (category: string, id?: string) => ({
  resourceType: 'Condition',
  ...(id ? { id } : {}),
  subject: { reference: `Patient/${A}` },
  category: [{ coding: [{ system: CATEGORY, code: category }] }],
  code: { text: `written under a granular scope (${category})` },
});

/** cond-a1 as the granular token reads it, without its cross-link to B's Encounter (reference validation would refuse it). */
async function condA1(): Promise<any> {
  const { encounter: _crossLink, ...current } = (await granular.json('GET', 'Condition/cond-a1')).body;
  return current;
}

/** cond-a2 as the system sees it: proof that a refused write changed nothing. */
async function condA2(): Promise<{ versionId: string; category: string }> {
  const res = await server.system.json('GET', 'Condition/cond-a2');
  expect(res.status).toBe(200);
  return { versionId: res.body.meta.versionId, category: res.body.category[0].coding[0].code };
}

/** Status and diagnostics of an answer, with the id named in it replaced, to compare two answers. */
const shape = (res: { status: number; body: any }, id: string) => ({
  status: res.status,
  diagnostics: JSON.stringify(res.body?.issue?.map((i: { diagnostics?: string }) => i.diagnostics) ?? [])
    .split(id)
    .join('<id>'),
});

describe('creating under a granular scope', () => {
  it('creates a Condition that matches the scope restriction (baseline)', async () => {
    const res = await granular.json('POST', 'Condition', condition('problem-list-item'), { prefer: 'return=minimal' });
    expect(res.status).toBe(201);
  });

  it('refuses to create a Condition outside the scope restriction and stores nothing', async () => {
    const before = refsOf((await server.system.json('GET', `Condition?subject=Patient/${A}&_count=100`)).body).length;
    expectOutcome(await granular.json('POST', 'Condition', condition('encounter-diagnosis')), 403, 'forbidden');
    const after = refsOf((await server.system.json('GET', `Condition?subject=Patient/${A}&_count=100`)).body).length;
    expect(after).toBe(before);
  });

  it('refuses the same create inside a transaction Bundle, rolling the whole Bundle back', async () => {
    const res = await granular.json('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:2b1f0b6e-0000-4000-8000-000000000001', request: { method: 'POST', url: 'Condition' }, resource: condition('problem-list-item') },
        { fullUrl: 'urn:uuid:2b1f0b6e-0000-4000-8000-000000000002', request: { method: 'POST', url: 'Condition' }, resource: condition('encounter-diagnosis') },
      ],
    });
    expectOutcome(res, 403, 'forbidden');
  });
});

describe('reference checks on writes under a granular read scope', () => {
  it('answers a create referencing a Condition the scope hides exactly as one referencing an id that does not exist', async () => {
    const caller = await server.patient(A, `patient/Observation.cru patient/Condition.rs?category=${CATEGORY}|problem-list-item`);
    const visible = await caller.json('POST', 'Observation', observationFocusing('cond-a1'), { prefer: 'return=minimal' });
    expect(visible.status).toBe(201);
    const hidden = await caller.json('POST', 'Observation', observationFocusing('cond-a2'));
    const absent = await caller.json('POST', 'Observation', observationFocusing('no-such-cond'));
    expectOutcome(absent, 422);
    expect(shape(hidden, 'cond-a2')).toEqual(shape(absent, 'no-such-cond'));
  });

  it('answers the same to an update and to a Condition written under the same granular scope', async () => {
    const caller = await server.patient(A, `patient/Observation.cru patient/Condition.rs?category=${CATEGORY}|problem-list-item`);
    const created = await caller.json('POST', 'Observation', observationFocusing('cond-a1'));
    const replace = (target: string) => caller.json('PUT', `Observation/${created.body.id}`, { ...observationFocusing(target), id: created.body.id });
    expect(shape(await replace('cond-a2'), 'cond-a2')).toEqual(shape(await replace('no-such-cond'), 'no-such-cond'));
    const evidence = (target: string) => ({ ...condition('problem-list-item'), evidence: [{ detail: [{ reference: `Condition/${target}` }] }] });
    const hidden = await granular.json('POST', 'Condition', evidence('cond-a2'));
    const absent = await granular.json('POST', 'Condition', evidence('no-such-cond'));
    expectOutcome(absent, 422);
    expect(shape(hidden, 'cond-a2')).toEqual(shape(absent, 'no-such-cond'));
  });
});

describe('updating under a granular scope', () => {
  it('updates a problem-list Condition that stays inside the scope (baseline)', async () => {
    const current = await condA1();
    const res = await granular.json('PUT', 'Condition/cond-a1', { ...current, note: [{ text: 'still a problem' }] });
    expect(res.status).toBe(200);
  });

  it("refuses an update that would move a Condition outside the token's granular scope", async () => {
    const current = await condA1();
    const moved = { ...current, category: condition('encounter-diagnosis').category };
    expectOutcome(await granular.json('PUT', 'Condition/cond-a1', moved), 403, 'forbidden');
    const patch = [{ op: 'replace', path: '/category/0/coding/0/code', value: 'encounter-diagnosis' }];
    const patched = await granular.json('PATCH', 'Condition/cond-a1', patch, { 'content-type': 'application/json-patch+json' });
    expectOutcome(patched, 403, 'forbidden');
    const after = await server.system.json('GET', 'Condition/cond-a1');
    expect(after.body.category[0].coding[0].code).toBe('problem-list-item');
    expect(after.body.meta.versionId).toBe(current.meta.versionId);
  });

  it('does not overwrite a Condition the scope hides, even with content that matches the scope', async () => {
    const before = await condA2();
    expectOutcome(await granular.json('PUT', 'Condition/cond-a2', condition('problem-list-item', 'cond-a2')), 403, 'forbidden');
    expectOutcome(await granular.json('PUT', 'Condition/cond-a2', condition('encounter-diagnosis', 'cond-a2')), 403, 'forbidden');
    const patch = [{ op: 'add', path: '/note', value: [{ text: 'x' }] }];
    const patched = await granular.json('PATCH', 'Condition/cond-a2', patch, { 'content-type': 'application/json-patch+json' });
    expectOutcome(patched, 404, 'not-found');
    expect(await condA2()).toEqual(before);
  });

  it('answers a PUT to a hidden Condition exactly as a PUT to an id that does not exist', async () => {
    const hidden = await granular.json('PUT', 'Condition/cond-a2', condition('problem-list-item', 'cond-a2'));
    const absent = await granular.json('PUT', 'Condition/no-such-cond', condition('problem-list-item', 'no-such-cond'));
    expect(shape(hidden, 'cond-a2')).toEqual(shape(absent, 'no-such-cond'));
    expect((await server.system.json('GET', 'Condition/no-such-cond')).status).toBe(404);
    const ifMatch = { 'if-match': 'W/"1"' };
    const hiddenIfMatch = await granular.json('PUT', 'Condition/cond-a2', condition('problem-list-item', 'cond-a2'), ifMatch);
    const absentIfMatch = await granular.json('PUT', 'Condition/no-such-cond', condition('problem-list-item', 'no-such-cond'), ifMatch);
    expect(shape(hiddenIfMatch, 'cond-a2')).toEqual(shape(absentIfMatch, 'no-such-cond'));
  });

  it('refuses an update of a Condition the token may read but whose update scope does not cover it', async () => {
    const caller = await server.patient(A, `patient/Condition.rs patient/Condition.u?category=${CATEGORY}|problem-list-item`);
    const current = (await caller.json('GET', 'Condition/cond-a2')).body;
    expect(current.id).toBe('cond-a2');
    expectOutcome(await caller.json('PUT', 'Condition/cond-a2', { ...current, note: [{ text: 'x' }] }), 403, 'forbidden');
    expect((await condA2()).versionId).toBe(current.meta.versionId);
  });
});

describe('deleting under a granular scope', () => {
  it('answers a DELETE of a hidden Condition exactly as a DELETE of an id that does not exist, and keeps it', async () => {
    const before = await condA2();
    const hidden = await granular.json('DELETE', 'Condition/cond-a2');
    const absent = await granular.json('DELETE', 'Condition/no-such-cond');
    expect(shape(hidden, 'cond-a2')).toEqual(shape(absent, 'no-such-cond'));
    expect(hidden.headers.get('etag')).toBeNull();
    expect(await condA2()).toEqual(before);
    const conditional = await granular.json('DELETE', 'Condition?_id=cond-a2');
    expect(conditional.status).toBe(200);
    expect(await condA2()).toEqual(before);
  });

  it('deletes a problem-list Condition inside the scope (baseline)', async () => {
    const created = await granular.json('POST', 'Condition', condition('problem-list-item'));
    expect(created.status).toBe(201);
    const res = await granular.json('DELETE', `Condition/${created.body.id}`);
    expect(res.status).toBe(200);
    expect((await server.system.json('GET', `Condition/${created.body.id}`)).status).toBe(410);
  });
});
