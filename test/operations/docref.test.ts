import { type Caller, type SecureServer, expectOutcome, put, startSecureServer } from '../security/support';
import { A, B, LOINC_CCD, allPages, refsIn, seedRecords } from './record-fixtures';

/**
 * DocumentReference/$docref (US Core 6.1.0) over HTTP. A's documents: doc-a-2021 and doc-a-2022 (notes), doc-a-2022-error
 * (entered in error) and doc-a-2023-ccd (a CCD). Pages of two, so a period with three documents pages.
 */
let server: SecureServer;
beforeAll(async () => {
  server = await startSecureServer({ SEARCH_DEFAULT_COUNT: '2' });
  await seedRecords(server.system);
});
afterAll(() => server.close());

const NOTE = 'http://loinc.org|11506-3';

async function docref(caller: Caller, query: string): Promise<string[]> {
  const pages = await allPages(caller, server.baseUrl, `DocumentReference/$docref?${query}`);
  for (const page of pages) expect(page).toMatchObject({ resourceType: 'Bundle', type: 'searchset' });
  return pages.flatMap((p) => refsIn(p, 'match'));
}

describe('without dates: the most recent document', () => {
  it('of any type, which here is also the CCD', async () => {
    expect(await docref(server.system, `patient=${A}`)).toEqual(['DocumentReference/doc-a-2023-ccd']);
  });

  it('of each type asked for, never one entered in error', async () => {
    expect(await docref(server.system, `patient=${A}&type=${encodeURIComponent(NOTE)}`)).toEqual(['DocumentReference/doc-a-2022']);
    const both = await docref(server.system, `patient=${A}&type=${encodeURIComponent(`${NOTE},${LOINC_CCD.system}|${LOINC_CCD.code}`)}`);
    expect(both.sort()).toEqual(['DocumentReference/doc-a-2022', 'DocumentReference/doc-a-2023-ccd']);
  });

  it('and the latest CCD beside the latest document when they differ', async () => {
    await put(server.system, {
      resourceType: 'DocumentReference',
      id: 'doc-a-2024',
      status: 'current',
      type: { coding: [{ system: 'http://loinc.org', code: '11506-3' }] },
      subject: { reference: `Patient/${A}` },
      date: '2024-01-01T00:00:00Z',
      content: [{ attachment: { contentType: 'text/plain', url: 'https://docs.test/2024' } }],
    });
    expect((await docref(server.system, `patient=${A}`)).sort()).toEqual(['DocumentReference/doc-a-2023-ccd', 'DocumentReference/doc-a-2024']);
    expect((await server.system.json('DELETE', 'DocumentReference/doc-a-2024')).status).toBe(200);
  });
});

describe('with start and end: the documents whose care falls in the period', () => {
  it('pages through them with next links', async () => {
    expect(await allPages(server.system, server.baseUrl, `DocumentReference/$docref?patient=${A}&start=2021-01-01`)).toHaveLength(2);
    expect((await docref(server.system, `patient=${A}&start=2021-01-01`)).sort()).toEqual([
      'DocumentReference/doc-a-2021',
      'DocumentReference/doc-a-2022',
      'DocumentReference/doc-a-2023-ccd',
    ]);
  });

  it('bounded on both ends, and by type', async () => {
    expect((await docref(server.system, `patient=${A}&start=2021-01-01&end=2022-12-31`)).sort()).toEqual([
      'DocumentReference/doc-a-2021',
      'DocumentReference/doc-a-2022',
    ]);
    expect(await docref(server.system, `patient=${A}&end=2023-12-31&type=${encodeURIComponent(`${LOINC_CCD.system}|${LOINC_CCD.code}`)}`)).toEqual([
      'DocumentReference/doc-a-2023-ccd',
    ]);
  });

  it('by the context period, the care date, rather than the date the reference was written', async () => {
    // doc-a-2021's context period is 09:00-11:00 on 2021-05-05; a period ending at 09:30 reaches into it.
    expect(await docref(server.system, `patient=${A}&start=2021-05-05T08:00:00Z&end=2021-05-05T09:30:00Z`)).toEqual(['DocumentReference/doc-a-2021']);
  });

  it('answers POST with Parameters (an id, Codings, dateTimes) as GET', async () => {
    const res = await server.system.json('POST', 'DocumentReference/$docref', {
      resourceType: 'Parameters',
      parameter: [
        { name: 'patient', valueId: A },
        { name: 'start', valueDateTime: '2021-01-01T00:00:00Z' },
        { name: 'type', valueCoding: { system: 'http://loinc.org', code: '11506-3' } },
      ],
    });
    expect(res.status).toBe(200);
    expect(refsIn(res.body, 'match').sort()).toEqual(['DocumentReference/doc-a-2021', 'DocumentReference/doc-a-2022']);
  });
});

describe('on-demand and profile', () => {
  it('on-demand=true: no document is generated, and the outcome says so', async () => {
    const res = await server.system.json('GET', `DocumentReference/$docref?patient=${A}&on-demand=true`);
    expect(res.status).toBe(200);
    expect(refsIn(res.body, 'match')).toEqual([]);
    const outcome = res.body.entry.find((e: { search?: { mode: string } }) => e.search?.mode === 'outcome');
    expect(outcome.resource.issue[0].diagnostics).toMatch(/does not generate documents on demand/);
  });

  it('on-demand=false is the stored documents', async () => {
    expect(await docref(server.system, `patient=${A}&on-demand=false`)).toEqual(['DocumentReference/doc-a-2023-ccd']);
  });

  it('profile: only documents whose DocumentReference claims it', async () => {
    const profile = 'http://example.org/StructureDefinition/discharge-note';
    await put(server.system, {
      resourceType: 'DocumentReference',
      id: 'doc-a-profiled',
      meta: { profile: [profile] },
      status: 'current',
      subject: { reference: `Patient/${A}` },
      date: '2021-02-02T00:00:00Z',
      content: [{ attachment: { contentType: 'text/plain', url: 'https://docs.test/profiled' } }],
    });
    expect(await docref(server.system, `patient=${A}&start=2020-01-01&profile=${profile}`)).toEqual(['DocumentReference/doc-a-profiled']);
    expect(await docref(server.system, `patient=${A}&profile=${profile}`)).toEqual(['DocumentReference/doc-a-profiled']);
    expect(await docref(server.system, `patient=${A}&start=2020-01-01&profile=http://example.org/StructureDefinition/none`)).toEqual([]);
    expect((await server.system.json('DELETE', 'DocumentReference/doc-a-profiled')).status).toBe(200);
  });
});

describe('the patient and the caller', () => {
  it('needs a patient unless the token is bound to one; an unknown patient is an empty Bundle', async () => {
    expectOutcome(await server.system.json('GET', 'DocumentReference/$docref'), 400);
    expect(await docref(server.system, 'patient=nobody')).toEqual([]);
  });

  it("gives a patient token its own patient's documents by default, and another patient's answer is that of an unknown one", async () => {
    const token = await server.patient(A, 'patient/*.rs');
    expect(await docref(token, '')).toEqual(['DocumentReference/doc-a-2023-ccd']);
    await put(server.system, {
      resourceType: 'DocumentReference',
      id: 'doc-b',
      status: 'current',
      subject: { reference: `Patient/${B}` },
      content: [{ attachment: { contentType: 'text/plain', url: 'https://docs.test/b' } }],
    });
    expect(await docref(server.system, `patient=${B}`)).toEqual(['DocumentReference/doc-b']);
    expect(await docref(token, `patient=${B}`)).toEqual([]);
    expect(await docref(token, `patient=${B}&start=2000-01-01`)).toEqual([]);
  });

  it('refuses a token without search on DocumentReference', async () => {
    const token = await server.patient(A, 'patient/Patient.rs');
    expectOutcome(await token.json('GET', `DocumentReference/$docref?patient=${A}`), 403);
  });
});
