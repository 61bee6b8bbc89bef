import type { AuditEvent } from 'fhir/r4';
import { type Caller, type SecureServer, expectOutcome, put, startSecureServer } from '../security/support';
import { A, A_RECORD, A_REFERENCED, B, B_DATA, type Entry, allPages, observation, refsIn, seedRecords } from './record-fixtures';
import { eventsWithQuery } from '../helpers/audit-query';

/**
 * Patient/$everything over HTTP: the record, what it references that belongs to no patient, the period, `_since`,
 * `_type`, paging while the record changes, and the caller's policy bounding all of it.
 */
let server: SecureServer;
beforeAll(async () => {
  server = await startSecureServer();
  await seedRecords(server.system);
});
afterAll(() => server.close());

const sorted = (refs: string[]) => [...refs].sort();

async function everything(caller: Caller, path: string) {
  const res = await caller.json('GET', path);
  expect({ path, status: res.status }).toEqual({ path, status: 200 });
  expect(res.body).toMatchObject({ resourceType: 'Bundle', type: 'searchset' });
  return res.body as { entry?: Entry[]; link: Array<{ relation: string; url: string }> };
}

describe('Patient/[id]/$everything', () => {
  it('returns the Patient first, its whole compartment, and each resource it references that belongs to no patient once', async () => {
    const bundle = await everything(server.system, `Patient/${A}/$everything`);
    const matches = refsIn(bundle, 'match');
    expect(matches[0]).toBe(`Patient/${A}`);
    expect(sorted(matches)).toEqual(sorted(A_RECORD));
    expect(sorted(refsIn(bundle, 'include'))).toEqual(sorted(A_REFERENCED));
    expect(bundle.link.map((l) => l.relation)).toEqual(['self']);
  });

  it("never reaches another patient's data: neither B's Encounter that A's Condition names nor B's Device an Observation focuses on", async () => {
    const all = (await everything(server.system, `Patient/${A}/$everything`)).entry!.map((e) => `${e.resource.resourceType}/${e.resource.id}`);
    expect(all.filter((r) => B_DATA.includes(r))).toEqual([]);
  });

  it('answers POST with a Parameters body as GET with the same parameters', async () => {
    const body = {
      resourceType: 'Parameters',
      parameter: [
        { name: '_type', valueCode: 'Observation,Practitioner' },
        { name: 'start', valueDate: '2021-01-01' },
      ],
    };
    const post = await server.system.json('POST', `Patient/${A}/$everything`, body);
    expect(post.status).toBe(200);
    const get = await everything(server.system, `Patient/${A}/$everything?_type=Observation,Practitioner&start=2021-01-01`);
    expect(sorted(refsIn(post.body, 'match'))).toEqual(sorted(refsIn(get, 'match')));
    expect(sorted(refsIn(post.body, 'include'))).toEqual(sorted(refsIn(get, 'include')));
  });

  it('answers 404 for an unknown patient, as a read does', async () => {
    expectOutcome(await server.system.json('GET', 'Patient/nobody/$everything'), 404);
  });
});

describe('start and end: the care date of each resource', () => {
  it('keeps what was cared for in the period and what has no care date', async () => {
    const matches = refsIn(await everything(server.system, `Patient/${A}/$everything?start=2021-01-01&end=2021-12-31`), 'match');
    expect(sorted(matches)).toEqual(
      sorted([
        `Patient/${A}`,
        'Coverage/cov-a',
        'Observation/obs-a-undated',
        'Encounter/enc-a',
        'Observation/obs-a-2021',
        'Observation/obs-a-lab',
        'Observation/obs-a-devices',
        'DocumentReference/doc-a-2021',
        'Provenance/prov-a',
      ]),
    );
  });

  it('includes a period that began before the start and ends during the start day', async () => {
    const matches = refsIn(await everything(server.system, `Patient/${A}/$everything?start=2023-01-01&_type=Observation`), 'match');
    expect(sorted(matches)).toEqual(['Observation/obs-a-2023', 'Observation/obs-a-undated']);
  });

  it('with only an end, keeps everything before it (a Condition by its onset)', async () => {
    const matches = refsIn(await everything(server.system, `Patient/${A}/$everything?end=2020-12-31&_type=Condition,Observation`), 'match');
    expect(sorted(matches)).toEqual(['Condition/cond-a', 'Observation/obs-a-2020', 'Observation/obs-a-undated']);
  });

  it('refuses a malformed date and a start after the end', async () => {
    expectOutcome(await server.system.json('GET', `Patient/${A}/$everything?start=2021-13-01`), 400);
    expectOutcome(await server.system.json('GET', `Patient/${A}/$everything?start=2022-01-01&end=2021-01-01`), 400);
  });
});

describe('_type and _count', () => {
  it('returns only the types named, walking the whole record for the referenced ones asked for', async () => {
    const bundle = await everything(server.system, `Patient/${A}/$everything?_type=Observation,Practitioner`);
    expect(new Set(refsIn(bundle, 'match').map((r) => r.split('/')[0]))).toEqual(new Set(['Observation']));
    // pr-2 is named only by the MedicationRequest, which is not returned.
    expect(sorted(refsIn(bundle, 'include'))).toEqual(['Practitioner/pr-1', 'Practitioner/pr-2']);
  });

  it('refuses an unknown type', async () => {
    expectOutcome(await server.system.json('GET', `Patient/${A}/$everything?_type=Nonsense`), 400);
  });

  it('pages with next links: every resource of the record once, every referenced one once across all pages', async () => {
    const pages = await allPages(server.system, server.baseUrl, `Patient/${A}/$everything?_count=3`);
    expect(pages.length).toBe(Math.ceil(A_RECORD.length / 3));
    for (const page of pages) expect(refsIn(page, 'match').length).toBeLessThanOrEqual(3);
    const matches = pages.flatMap((p) => refsIn(p, 'match'));
    expect(sorted(matches)).toEqual(sorted(A_RECORD));
    expect(sorted(pages.flatMap((p) => refsIn(p, 'include')))).toEqual(sorted(A_REFERENCED));
  });

  it("refuses another patient's cursor and a forged one", async () => {
    const first = await everything(server.system, `Patient/${A}/$everything?_count=2`);
    const cursor = new URL(first.link.find((l) => l.relation === 'next')!.url).searchParams.get('_cursor')!;
    expectOutcome(await server.system.json('GET', `Patient/${B}/$everything?_count=2&_cursor=${cursor}`), 400);
    expectOutcome(await server.system.json('GET', `Patient/${A}/$everything?_cursor=bm90LWEtdG9rZW4`), 400);
  });

  it('reports an unknown parameter in an outcome entry, and refuses it under handling=strict', async () => {
    const bundle = await everything(server.system, `Patient/${A}/$everything?_count=1&color=blue`);
    const outcome = bundle.entry!.find((e) => e.search?.mode === 'outcome');
    expect(JSON.stringify(outcome)).toContain('color');
    const strict = await server.system.json('GET', `Patient/${A}/$everything?color=blue`, undefined, { prefer: 'handling=strict' });
    expectOutcome(strict, 400);
  });
});

describe('_since', () => {
  it('returns only what changed at or after the instant', async () => {
    await new Promise((r) => setTimeout(r, 5));
    const since = new Date().toISOString();
    await put(server.system, observation('obs-a-undated', A, { note: [{ text: 'amended' }] }));
    const bundle = await everything(server.system, `Patient/${A}/$everything?_since=${since}`);
    expect(refsIn(bundle, 'match')).toEqual(['Observation/obs-a-undated']);
    // The referenced resources obey _since too: none changed since.
    expect(refsIn(bundle, 'include')).toEqual([]);
    expectOutcome(await server.system.json('GET', `Patient/${A}/$everything?_since=yesterday`), 400);
  });
});

describe('paging while the record changes', () => {
  const C = 'ev-c';

  it('returns every resource present throughout exactly once, what is created ahead of the position, nothing deleted ahead', async () => {
    await put(server.system, { resourceType: 'Patient', id: C, managingOrganization: { reference: 'Organization/org-1' } });
    for (let i = 0; i < 9; i++)
      await put(server.system, observation(`obs-c-${i}`, C, { effectiveDateTime: '2021-01-01', performer: [{ reference: 'Practitioner/pr-1' }] }));
    await put(server.system, { resourceType: 'Condition', id: 'cond-c-1', subject: { reference: `Patient/${C}` }, code: { text: 'x' } });

    // Page 1: the Patient, the Condition and the first Observation.
    const first = await everything(server.system, `Patient/${C}/$everything?_count=3`);
    expect(refsIn(first, 'match')).toEqual([`Patient/${C}`, 'Condition/cond-c-1', 'Observation/obs-c-0']);
    // Behind the position: a new Condition. Ahead of it: a new Observation, a deletion and an update.
    await put(server.system, { resourceType: 'Condition', id: 'cond-c-0', subject: { reference: `Patient/${C}` }, code: { text: 'late' } });
    await put(server.system, observation('obs-c-9', C));
    expect((await server.system.json('DELETE', 'Observation/obs-c-5')).status).toBe(200);
    await put(server.system, observation('obs-c-7', C, { note: [{ text: 'updated while paging' }] }));

    const next = first.link.find((l) => l.relation === 'next')!.url.slice(server.baseUrl.length + 1);
    const rest = await allPages(server.system, server.baseUrl, next);
    const matches = [...refsIn(first, 'match'), ...rest.flatMap((p) => refsIn(p, 'match'))];
    expect(matches).toEqual([`Patient/${C}`, 'Condition/cond-c-1', ...['0', '1', '2', '3', '4', '6', '7', '8', '9'].map((i) => `Observation/obs-c-${i}`)]);
    const updated = rest.flatMap((p) => p.entry ?? []).find((e) => e.resource.id === 'obs-c-7')!.resource as unknown as { note?: unknown[] };
    expect(updated.note).toHaveLength(1);
    // The Organization the Patient names and the Practitioner every Observation names: once each, on page 1.
    expect(refsIn(first, 'include').sort()).toEqual(['Organization/org-1', 'Practitioner/pr-1']);
    expect(rest.flatMap((p) => refsIn(p, 'include'))).toEqual([]);
  });
});

describe('Patient/$everything (type level)', () => {
  it('walks every patient the caller may see, each record after the other', async () => {
    const pages = await allPages(server.system, server.baseUrl, 'Patient/$everything?_count=5');
    const matches = pages.flatMap((p) => refsIn(p, 'match'));
    expect(matches).toEqual(expect.arrayContaining([...A_RECORD, `Patient/${B}`, 'Encounter/enc-b', 'Observation/obs-b', 'Device/dev-b']));
    expect(new Set(matches).size).toBe(matches.length);
    expect(matches.indexOf(`Patient/${B}`)).toBeGreaterThan(matches.indexOf(`Patient/${A}`));
  });
});

describe('a patient-bound token', () => {
  let patientA: Caller;
  beforeAll(async () => {
    patientA = await server.patient(A, 'patient/*.rs');
  });

  it("gets its own record, and 404 for another patient's, as for a read", async () => {
    const own = await everything(patientA, `Patient/${A}/$everything`);
    expect(refsIn(own, 'match')).toEqual(expect.arrayContaining(A_RECORD));
    expectOutcome(await patientA.json('GET', `Patient/${B}/$everything`), 404);
  });

  it('at type level gets its own record only', async () => {
    const pages = await allPages(patientA, server.baseUrl, 'Patient/$everything');
    const all = pages.flatMap((p) => [...refsIn(p, 'match'), ...refsIn(p, 'include')]);
    expect(all).toEqual(expect.arrayContaining(A_RECORD));
    expect(all.filter((r) => B_DATA.includes(r) || r.includes('ev-c') || r.includes('obs-c'))).toEqual([]);
  });

  it('sees only the Observations its granular scope allows, and no type it has no scope for', async () => {
    const scope = [
      'patient/Patient.rs',
      'patient/Encounter.rs',
      'patient/Practitioner.rs',
      'patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory',
    ].join(' ');
    const labOnly = await server.patient(A, scope);
    const bundle = await everything(labOnly, `Patient/${A}/$everything`);
    expect(sorted(refsIn(bundle, 'match'))).toEqual(sorted([`Patient/${A}`, 'Encounter/enc-a', 'Observation/obs-a-lab']));
    expect(refsIn(bundle, 'include')).toEqual(['Practitioner/pr-1']);
  });
});

describe('audit', () => {
  async function events(query: string): Promise<AuditEvent[]> {
    expect((await server.system.json('GET', 'AuditEvent/$verify-chain')).status).toBe(200);
    const res = await server.system.json('GET', `AuditEvent?${query}&_count=1000`);
    return (res.body.entry ?? []).map((e: { resource: AuditEvent }) => e.resource);
  }

  it('writes one AuditEvent per call, naming the patient and what was returned, not what was only walked', async () => {
    await everything(server.system, `Patient/${A}/$everything?_type=Observation,Practitioner&_count=17`);
    const mine = await eventsWithQuery(server.system, await events('subtype=operation'), '_count=17');
    expect(mine).toHaveLength(1);
    const refs = (mine[0].entity ?? []).map((x) => x.what?.reference).filter(Boolean);
    expect(refs).toContain(`Patient/${A}`);
    expect(refs).toContain('Observation/obs-a-lab');
    expect(refs).toContain('Practitioner/pr-2');
    expect(refs).not.toContain('MedicationRequest/medreq-a');
  });
});
