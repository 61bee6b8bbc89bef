import type { AuditEvent, Bundle, Patient } from 'fhir/r4';
import { SSN, storedFerry } from '../matching/fixtures';
import { type Caller, type SecureServer, expectOutcome, put, startSecureServer } from '../security/support';

/**
 * `POST Patient/$match` over HTTP: candidates from the blocking keys written at save time, graded and scored by
 * the matcher, bounded by the caller's SMART policy, audited.
 */
const MATCH_GRADE = 'http://hl7.org/fhir/StructureDefinition/match-grade';

const person = storedFerry;

/** The record on file, its duplicate (nickname, day and month swapped), a twin brother, and an unrelated woman. */
const ORIGINAL = person('m-original', { identifier: [{ system: SSN, value: '999-12-3456' }] });
const DUPLICATE = person('m-duplicate', { name: [{ family: 'Ferry', given: ['Bill'] }], birthDate: '1970-12-04' });
const TWIN = person('m-twin', { name: [{ family: 'Ferry', given: ['Walter', 'James'] }] });
const OTHER = person('m-other', { name: [{ family: 'Okafor', given: ['Ngozi'] }], gender: 'female', birthDate: '1988-01-30', address: undefined, telecom: undefined });

let server: SecureServer;
beforeAll(async () => {
  server = await startSecureServer();
  for (const p of [ORIGINAL, DUPLICATE, TWIN, OTHER]) await put(server.system, p);
});
afterAll(() => server.close());

const parameters = (resource: Patient, extra: Array<Record<string, unknown>> = []) => ({
  resourceType: 'Parameters',
  parameter: [{ name: 'resource', resource }, ...extra],
});
const query: Patient = {
  resourceType: 'Patient',
  name: [{ family: 'Ferry', given: ['William'] }],
  birthDate: '1970-04-12',
  gender: 'male',
  identifier: [{ system: SSN, value: '999-12-3456' }],
};

async function matchAs(caller: Caller, body: unknown): Promise<{ status: number; body: Bundle }> {
  const res = await caller.json('POST', 'Patient/$match', body);
  return { status: res.status, body: res.body as Bundle };
}

const found = (b: Bundle) =>
  (b.entry ?? []).map((e) => ({
    id: e.resource?.id,
    grade: e.search?.extension?.find((x) => x.url === MATCH_GRADE)?.valueCode,
    score: e.search?.score,
  }));

describe('Patient/$match', () => {
  it('answers a searchset of matches, best first, each with mode match, a score and a match grade', async () => {
    const res = await matchAs(server.system, parameters(query));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ resourceType: 'Bundle', type: 'searchset' });
    const matches = found(res.body);
    expect(matches[0]).toEqual({ id: ORIGINAL.id, grade: 'certain', score: expect.any(Number) });
    expect(matches.map((m) => m.id)).toContain(DUPLICATE.id);
    expect(matches.map((m) => m.id)).not.toContain(OTHER.id);
    const scores = matches.map((m) => m.score as number);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(scores.every((s) => s > 0 && s <= 1)).toBe(true);
    expect(res.body.total).toBe(matches.length);
    const first = res.body.entry![0];
    expect(first.fullUrl).toBe(`${server.baseUrl}/Patient/${ORIGINAL.id}`);
    expect(first.search?.mode).toBe('match');
  });

  it('grades the duplicate probable and leaves the twin out (certainly-not)', async () => {
    const grades = Object.fromEntries(found((await matchAs(server.system, parameters({ ...DUPLICATE, id: undefined }))).body).map((m) => [m.id, m.grade]));
    expect(grades[ORIGINAL.id]).toBe('probable');
    expect(grades[TWIN.id]).toBeUndefined();
  });

  it('keeps only certain matches with onlyCertainMatches, and at most count entries', async () => {
    const certain = await matchAs(server.system, parameters(query, [{ name: 'onlyCertainMatches', valueBoolean: true }]));
    expect(found(certain.body).map((m) => [m.id, m.grade])).toEqual([[ORIGINAL.id, 'certain']]);
    const all = found((await matchAs(server.system, parameters({ ...DUPLICATE, id: undefined }))).body);
    expect(all.length).toBeGreaterThan(1);
    const one = await matchAs(server.system, parameters({ ...DUPLICATE, id: undefined }, [{ name: 'count', valueInteger: 1 }]));
    expect(found(one.body)).toEqual([all[0]]);
  });

  it('accepts the Patient itself as the body', async () => {
    expect(found((await matchAs(server.system, query)).body)[0].id).toBe(ORIGINAL.id);
  });

  it('refuses a request without a Patient, with unknown or malformed parameters, or with nothing to match on', async () => {
    expectOutcome(await server.system.json('POST', 'Patient/$match', { resourceType: 'Parameters', parameter: [] }), 400);
    expectOutcome(await server.system.json('POST', 'Patient/$match', parameters(query, [{ name: 'threshold', valueDecimal: 0.5 }])), 400);
    expectOutcome(await server.system.json('POST', 'Patient/$match', parameters(query, [{ name: 'count', valueInteger: 0 }])), 400);
    expectOutcome(await server.system.json('POST', 'Patient/$match', parameters(query, [{ name: 'onlyCertainMatches', valueString: 'yes' }])), 400);
    expectOutcome(await server.system.json('POST', 'Patient/$match', parameters({ resourceType: 'Patient', gender: 'male' })), 422);
  });

  it('finds a Patient by what it says now: keys follow updates and deletions', async () => {
    await put(server.system, person('m-moved', { name: [{ family: 'Quist', given: ['Ada'] }], gender: 'female', birthDate: '1950-02-03', telecom: undefined }));
    const ada: Patient = { resourceType: 'Patient', name: [{ family: 'Quist', given: ['Ada'] }], birthDate: '1950-02-03' };
    expect(found((await matchAs(server.system, parameters(ada))).body).map((m) => m.id)).toEqual(['m-moved']);
    await put(server.system, person('m-moved', { name: [{ family: 'Lindqvist', given: ['Ada'] }], gender: 'female', birthDate: '1950-02-03', telecom: undefined }));
    expect(found((await matchAs(server.system, parameters(ada))).body)).toEqual([]);
    const renamed = { ...ada, name: [{ family: 'Lindqvist', given: ['Ada'] }] };
    expect(found((await matchAs(server.system, parameters(renamed))).body).map((m) => m.id)).toEqual(['m-moved']);
    expect((await server.system.json('DELETE', 'Patient/m-moved')).status).toBe(200);
    expect(found((await matchAs(server.system, parameters(renamed))).body)).toEqual([]);
  });
});

describe('Patient/$match under a SMART policy', () => {
  it('shows a patient token at most its own patient: other matches are neither returned nor counted', async () => {
    const own = await server.patient(DUPLICATE.id, 'patient/*.read');
    const res = await matchAs(own, parameters(query));
    expect(res.status).toBe(200);
    expect(found(res.body).map((m) => m.id)).toEqual([DUPLICATE.id]);
    expect(res.body.total).toBe(1);
    const stranger = await server.patient(OTHER.id, 'patient/*.read');
    const none = await matchAs(stranger, parameters(query));
    expect({ total: none.body.total, entries: none.body.entry ?? [] }).toEqual({ total: 0, entries: [] });
  });

  it('refuses a token that may not search Patients', async () => {
    expectOutcome(await (await server.scoped('system/Observation.read')).json('POST', 'Patient/$match', parameters(query)), 403);
  });

  it('audits the call, naming the patients returned and no other', async () => {
    const own = await server.patient(DUPLICATE.id, 'patient/*.read');
    await matchAs(own, parameters(query, [{ name: 'count', valueInteger: 7 }]));
    expect((await server.system.json('GET', 'AuditEvent/$verify-chain')).status).toBe(200);
    const events = ((await server.system.json('GET', 'AuditEvent?_count=1000')).body as Bundle).entry!.map((e) => e.resource as AuditEvent);
    const matchEvents = events.filter((e) => JSON.stringify(e).includes('$match') || JSON.stringify(e).includes('"match"'));
    expect(matchEvents.length).toBeGreaterThan(0);
    const patientsNamed = (e: AuditEvent) => (e.entity ?? []).filter((x) => x.role?.code === '1').map((x) => x.what?.reference);
    const last = matchEvents[matchEvents.length - 1];
    expect(patientsNamed(last)).toEqual([`Patient/${DUPLICATE.id}`]);
  });
});
