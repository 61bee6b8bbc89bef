import defaults from '../../src/retention/default-policy.json';
import { retentionFromEnv } from '../../src/retention';
import { latestDate } from '../../src/retention/latest-date';
import { retentionSearch } from '../../src/retention/search-access';
import { SearchContext } from '../../src/search';
import { tempDir, writeJson } from '../auth/fixtures';
import { type Caller, type SecureServer, expectOutcome, put, startSecureServer } from '../security/support';

/**
 * Patient/[id]/$retention over HTTP, under a policy counting in America/New_York with the default's adult, minor
 * and deceased rules and a scoped rule: records holding a psychotherapy note are reviewed 25 years after the
 * latest one. Each patient below exercises one part of the schedule's arithmetic.
 */
const PSYCHOTHERAPY = 'urn:test:doc-category|psychotherapy';
const policy = structuredClone(defaults) as typeof defaults & { rules: any[] };
policy.timeZone = 'America/New_York';
policy.rules[3] = {
  id: 'psychotherapy-notes',
  title: 'Records with psychotherapy notes: reviewed 25 years after the latest note',
  scope: [`DocumentReference?category=${PSYCHOTHERAPY}`],
  triggers: [{ on: 'resource-date', param: 'date', period: 'P25Y' }],
  action: 'review',
};
const policyFile = writeJson(tempDir(), 'policy.json', policy);

let server: SecureServer;
let system: Caller;

const patient = (id: string, extra: object = {}) => put(system, { resourceType: 'Patient', id, ...extra });
const encounter = (id: string, patientId: string, period: object, status = 'finished') =>
  put(system, { resourceType: 'Encounter', id, status, class: { code: 'AMB' }, subject: { reference: `Patient/${patientId}` }, period });

beforeAll(async () => {
  server = await startSecureServer({ RETENTION_POLICY_FILE: policyFile });
  system = server.system;
  await patient('adult', { birthDate: '1970-01-01' });
  await encounter('adult-1', 'adult', { start: '2012-05-01', end: '2012-05-01' });
  // 23:30 in Los Angeles is already March 3 in New York.
  await encounter('adult-2', 'adult', { start: '2015-03-02T22:00:00-08:00', end: '2015-03-02T23:30:00-08:00' });
  await encounter('adult-3', 'adult', { start: '2020-01-01', end: '2020-01-01' }, 'entered-in-error');
  await patient('minor-leap', { birthDate: '2004-02-29' });
  await encounter('minor-leap-1', 'minor-leap', { end: '2010-06-01' });
  await patient('minor-late', { birthDate: '2000-01-01' });
  await encounter('minor-late-1', 'minor-late', { end: '2017-05-05' });
  await patient('eve-of-majority', { birthDate: '2004-02-29' });
  await encounter('eve-1', 'eve-of-majority', { end: '2022-02-28' });
  await patient('day-of-majority', { birthDate: '2004-02-29' });
  await encounter('day-1', 'day-of-majority', { end: '2022-03-01' });
  await patient('deceased', { birthDate: '1950-06-01', deceasedDateTime: '2020-01-10T02:00:00Z' });
  await encounter('deceased-1', 'deceased', { end: '2019-12-01' });
  await patient('deceased-undated', { birthDate: '1950-06-01', deceasedBoolean: true });
  await encounter('deceased-undated-1', 'deceased-undated', { end: '2018-04-04' });
  await patient('in-care', { birthDate: '1970-01-01' });
  await encounter('in-care-1', 'in-care', { end: '2010-01-01' });
  await encounter('in-care-2', 'in-care', { start: '2023-01-01' }, 'in-progress');
  await patient('never-seen', { birthDate: '1980-01-01' });
  await patient('therapy', { birthDate: '1970-01-01' });
  await encounter('therapy-1', 'therapy', { end: '2014-01-01' });
  const [system_, code] = PSYCHOTHERAPY.split('|');
  for (const [id, date] of [
    ['therapy-note-1', '2018-02-01T10:00:00Z'],
    ['therapy-note-2', '2020-05-01T10:00:00Z'],
  ]) {
    await put(system, {
      resourceType: 'DocumentReference',
      id,
      status: 'current',
      subject: { reference: 'Patient/therapy' },
      category: [{ coding: [{ system: system_, code }] }],
      date,
      content: [{ attachment: { contentType: 'text/plain', data: 'bm90ZQ==' } }],
    });
  }
});
afterAll(() => server.close());

type Param = { name: string; valueString?: string; valueCode?: string; valueDate?: string; valueBoolean?: boolean; part?: Param[] };

async function retention(id: string, date?: string, caller: Caller = system) {
  const res = await caller.json('GET', `Patient/${id}/$retention${date ? `?date=${date}` : ''}`);
  expect({ id, status: res.status }).toEqual({ id, status: 200 });
  const params = res.body.parameter as Param[];
  const one = (name: string) => {
    const p = params.find((x) => x.name === name);
    return p?.valueString ?? p?.valueCode ?? p?.valueDate ?? p?.valueBoolean;
  };
  return {
    rule: one('rule'),
    action: one('action'),
    trigger: one('trigger'),
    triggerDate: one('trigger-date'),
    destroyAfter: one('destroy-after'),
    due: one('due'),
    eligible: one('eligible'),
    notes: params.filter((p) => p.name === 'note').map((p) => p.valueString),
    params,
  };
}

describe('the schedule of a record', () => {
  it('counts 10 years from the end of the last encounter that counts, as a date in the policy time zone', async () => {
    const r = await retention('adult', '2025-03-02');
    expect(r).toMatchObject({ rule: 'adult', action: 'destroy', trigger: 'last-encounter-end', triggerDate: '2015-03-03', destroyAfter: '2025-03-03' });
    expect(r).toMatchObject({ due: false, eligible: false });
    expect(await retention('adult', '2025-03-03')).toMatchObject({ due: true, eligible: true });
  });

  it('explains each applicable rule and the encounter it counted from', async () => {
    const { params } = await retention('adult', '2025-03-03');
    const applicable = params.filter((p) => p.name === 'applicable');
    expect(applicable).toHaveLength(1);
    const trigger = applicable[0].part!.find((p) => p.name === 'trigger')!.part!;
    expect(trigger).toEqual(
      expect.arrayContaining([
        { name: 'on', valueCode: 'last-encounter-end' },
        { name: 'resource', valueReference: { reference: 'Encounter/adult-2' } },
      ]),
    );
    expect(params.find((p) => p.name === 'policy-notice')?.valueString).toMatch(/NOT LEGAL ADVICE/);
  });

  it('keeps a minor born on February 29 until 3 years after majority, which falls on March 1', async () => {
    expect(await retention('minor-leap')).toMatchObject({ rule: 'minor', trigger: 'majority', triggerDate: '2022-03-01', destroyAfter: '2025-03-01' });
  });

  it('keeps a minor 10 years after the last encounter when that is later', async () => {
    expect(await retention('minor-late')).toMatchObject({ rule: 'minor', trigger: 'last-encounter-end', triggerDate: '2017-05-05', destroyAfter: '2027-05-05' });
  });

  it('counts a patient born on February 29 a minor on February 28 of a common year, an adult on March 1', async () => {
    expect(await retention('eve-of-majority')).toMatchObject({ rule: 'minor', destroyAfter: '2032-02-28' });
    expect(await retention('day-of-majority')).toMatchObject({ rule: 'adult', destroyAfter: '2032-03-01' });
  });

  it('counts a deceased patient from the date of death in the policy zone, and from the last encounter when there is no date', async () => {
    expect(await retention('deceased')).toMatchObject({ rule: 'deceased', trigger: 'death', triggerDate: '2020-01-09', destroyAfter: '2030-01-09' });
    expect(await retention('deceased-undated')).toMatchObject({ rule: 'deceased', trigger: 'last-encounter-end', destroyAfter: '2028-04-04' });
  });

  it('gives no destroy-after while an encounter is still open', async () => {
    const r = await retention('in-care', '2090-01-01');
    expect(r).toMatchObject({ rule: 'adult', due: false, eligible: false });
    expect(r.destroyAfter).toBeUndefined();
    expect(r.notes.join(' ')).toMatch(/Encounter\/in-care-2 has no end yet/);
  });

  it('keeps a record no rule applies to, saying why', async () => {
    const r = await retention('never-seen', '2090-01-01');
    expect(r).toMatchObject({ due: false, eligible: false });
    expect(r.rule).toBeUndefined();
    expect(r.notes.join(' ')).toMatch(/no dated encounter/);
    expect(r.notes.join(' ')).toMatch(/no rule of the retention policy applies/);
  });

  it('retains the record as a whole: a scoped rule counting from its latest note governs when later, and asks for review', async () => {
    const r = await retention('therapy', '2046-01-01');
    expect(r).toMatchObject({ rule: 'psychotherapy-notes', action: 'review', trigger: 'resource-date', triggerDate: '2020-05-01', destroyAfter: '2045-05-01' });
    expect(r).toMatchObject({ due: true, eligible: false });
    expect(r.params.filter((p) => p.name === 'applicable').map((p) => p.part![0].valueString)).toEqual(['adult', 'psychotherapy-notes']);
  });

  it('refuses a malformed date and unknown parameters', async () => {
    expectOutcome(await system.json('GET', 'Patient/adult/$retention?date=2025-02-30'), 400);
    expectOutcome(await system.json('GET', 'Patient/adult/$retention?date=2025'), 400);
    expectOutcome(await system.json('GET', 'Patient/adult/$retention?when=now'), 400);
  });
});

describe('holds and eligibility', () => {
  it('makes a due record ineligible while a hold is in force, and lists the hold', async () => {
    await patient('held', { birthDate: '1970-01-01' });
    await encounter('held-1', 'held', { end: '2001-01-01' });
    expect(await retention('held')).toMatchObject({ due: true, eligible: true });
    const hold = await system.json('POST', 'Patient/held/$hold', {
      resourceType: 'Parameters',
      parameter: [
        { name: 'matter', valueString: 'CV-2024-118' },
        { name: 'reason', valueString: 'Pending malpractice claim' },
      ],
    });
    expect(hold.status).toBe(201);
    const r = await retention('held');
    expect(r).toMatchObject({ due: true, eligible: false });
    const parts = r.params.find((p) => p.name === 'hold')!.part!;
    expect(parts).toEqual(
      expect.arrayContaining([
        { name: 'hold', valueReference: { reference: `Basic/${hold.body.id}` } },
        { name: 'subject', valueReference: { reference: 'Patient/held' } },
        { name: 'matter', valueString: 'CV-2024-118' },
        { name: 'reason', valueString: 'Pending malpractice claim' },
      ]),
    );
  });
});

describe('who may ask', () => {
  it("answers a patient's own record without the holds, and 404 for another patient's", async () => {
    const own = await retention('held', undefined, await server.patient('held', 'patient/*.rs'));
    expect(own).toMatchObject({ rule: 'adult', eligible: false });
    expect(own.params.some((p) => p.name === 'hold')).toBe(false);
    expectOutcome(await (await server.patient('held', 'patient/*.rs')).json('GET', 'Patient/adult/$retention'), 404);
  });

  it('refuses (403) a token that cannot search every encounter of the record', async () => {
    const granular = await server.scoped('system/Patient.rs system/Encounter.rs?class=AMB system/DocumentReference.rs');
    expectOutcome(await granular.json('GET', 'Patient/adult/$retention'), 403);
    expectOutcome(await (await server.scoped('system/Patient.rs')).json('GET', 'Patient/adult/$retention'), 403);
  });
});

describe('the API destruction uses', () => {
  it('gives the same answer as the operation, for a date', async () => {
    const api = retentionFromEnv({ RETENTION_POLICY_FILE: policyFile }, new SearchContext());
    const r = await api.retentionOn(server.systemRepo, 'adult', '2025-03-03');
    expect(r).toMatchObject({
      rule: 'adult',
      trigger: 'last-encounter-end',
      triggerDate: '2015-03-03',
      destroyAfter: '2025-03-03',
      due: true,
      eligible: true,
      holds: [],
    });
    const held = await api.retentionOf(server.systemRepo, 'held');
    expect(held).toMatchObject({ due: true, eligible: false });
    expect(held.holds.map((h) => h.matter)).toEqual(['CV-2024-118']);
  });

  it('reads the last date from the sorted index, recomputing dates near the top in the zone (a date-only end against a later instant east of UTC)', async () => {
    await patient('tokyo');
    await encounter('tokyo-date-only', 'tokyo', { end: '2016-07-04' });
    // 20:00 UTC on July 4 sorts below the end of July 4 in UTC, but is already July 5 in Tokyo.
    await encounter('tokyo-instant', 'tokyo', { end: '2016-07-04T20:00:00Z' });
    const search = retentionSearch(new SearchContext());
    const latest = (zone: string) => latestDate(server.systemRepo, 'tokyo', { type: 'Encounter', code: 'date', filter: {} }, search, zone);
    expect(await latest('Asia/Tokyo')).toEqual({ kind: 'date', date: '2016-07-05', resource: 'Encounter/tokyo-instant' });
    expect(await latest('America/New_York')).toEqual({ kind: 'date', date: '2016-07-04', resource: 'Encounter/tokyo-date-only' });
  });
});
