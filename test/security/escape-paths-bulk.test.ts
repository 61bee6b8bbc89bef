import { A, type JsonResponse, type SecureServer, expectOutcome } from './support';
import { FORBIDDEN, shape, startEscapeServer } from './escape-fixtures';

/**
 * Paths out of patient A's data by bulk export (docs/patient-access.md): Patient, Group and system level, with types
 * outside the Patient compartment, and a system client's one-patient Group cohort. Its own server, so the exported
 * sets are exactly the seeded data (the write probes create resources of A).
 * Data, leak sets and helpers: escape-fixtures.ts.
 */
let server: SecureServer;

beforeAll(async () => {
  ({ server } = await startEscapeServer());
});
afterAll(() => server.close());

describe('bulk export', () => {
  /** `handling=lenient` also drops requested types the server does not serve with a warning. */
  const kickOff = (token: string, path: string, lenient = false) =>
    server.api(path, {
      headers: { prefer: lenient ? 'respond-async, handling=lenient' : 'respond-async', accept: 'application/fhir+json', authorization: `Bearer ${token}` },
    });
  const ndjson = async (url: string, token: string) =>
    (await (await fetch(url, { headers: { accept: 'application/fhir+ndjson', authorization: `Bearer ${token}` } })).text())
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));

  /**
   * Runs `path` as `token` to completion: fails the test unless the kick-off is 202 and the job completes (200).
   * Returns `Type/id` of every exported resource, sorted, and the diagnostics of the manifest's error file.
   */
  async function exportAs(token: string, path: string, lenient = false): Promise<{ refs: string[]; warnings: string[] }> {
    const kick = await kickOff(token, path, lenient);
    const text = await kick.text();
    if (kick.status !== 202) throw new Error(`${path}: kick-off answered ${kick.status}, not 202: ${text}`);
    for (;;) {
      const res = await fetch(kick.headers.get('content-location') as string, { headers: { accept: 'application/json', authorization: `Bearer ${token}` } });
      if (res.status === 202) {
        await res.arrayBuffer();
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      const manifest = (await res.json()) as { output?: Array<{ url: string }>; error?: Array<{ url: string }> };
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      const refs: string[] = [];
      for (const file of manifest.output ?? []) refs.push(...(await ndjson(file.url, token)).map((r) => `${r.resourceType}/${r.id}`));
      const warnings: string[] = [];
      for (const file of manifest.error ?? []) {
        for (const oo of await ndjson(file.url, token)) warnings.push(...oo.issue.map((i: { diagnostics: string }) => i.diagnostics));
      }
      return { refs: refs.sort(), warnings };
    }
  }
  /** The OperationOutcome of a refused kick-off. */
  const refusal = async (token: string, path: string, lenient = false): Promise<JsonResponse> => {
    const res = await kickOff(token, path, lenient);
    return { status: res.status, headers: res.headers, body: await res.json() };
  };
  /** The error file's line for each type a Patient or Group export leaves out (patient-access.ts: no patient's). */
  const leftOut = (types: string[], level: string) =>
    types.map((t) => expect.stringMatching(new RegExp(`^${t} is left out: it is outside the Patient compartment and .+, so a ${level}-level export has none of it$`)));

  let patientToken: string;
  beforeAll(async () => {
    patientToken = await server.sign({ scope: 'patient/*.rs', patient: A });
  });
  it("exports A's compartment and nothing else to A with Patient/$export", async () => {
    const { refs, warnings } = await exportAs(patientToken, 'Patient/$export');
    // Without _type the audit trail is left out (its events of A's own requests would be in A's compartment).
    expect(refs).toEqual([
      'Condition/cond-a1',
      'Condition/cond-a2',
      'Contract/contract-a',
      'Device/implant-a',
      'DocumentReference/doc-a',
      'Encounter/enc-a',
      'Group/group-a',
      'List/list-a',
      'Observation/obs-a-links',
      `Patient/${A}`,
    ]);
    expect(refs.filter((r) => FORBIDDEN.has(r))).toEqual([]);
    expect(warnings).toEqual([]);
  });

  // Device and Contract are outside the R4 Patient compartment but linked to patients (patient-access.ts): A's own
  // are exported as A's searches find them (contract-ab names B too: not A's); of the Groups only group-a, which names
  // no other patient. Binary, Bundle and Linkage belong to no patient: left out, each with a line in the error file.
  it.each([
    ['Patient/$export', 'patient', false],
    ['Group/group-a/$export', 'group', false],
    ['Patient/$export', 'patient', true],
  ] as const)(
    "exports only A's own Device, Contract and Group with %s?_type=Binary,Device,Bundle,Linkage,Group,Contract (%s level, lenient: %s)",
    async (path, level, lenient) => {
      const { refs, warnings } = await exportAs(patientToken, `${path}?_type=Binary,Device,Bundle,Linkage,Group,Contract`, lenient);
      expect(refs).toEqual(['Contract/contract-a', 'Device/implant-a', 'Group/group-a']);
      expect(warnings).toEqual(leftOut(['Binary', 'Bundle', 'Linkage'], level));
    },
  );

  it('refuses a patient export of nothing but Binary, Bundle and Linkage: 400', async () => {
    const res = await refusal(patientToken, 'Patient/$export?_type=Binary,Bundle,Linkage');
    expectOutcome(res, 400, 'invalid');
    expect(res.body.issue[0].diagnostics).toMatch(/^None of the requested _type values can be exported\. Binary is left out: /);
  });

  it.each([
    ['Group/group-ab/$export', false],
    ['Group/group-ab/$export?_type=Binary,Device,Bundle,Condition', true],
  ] as const)("answers A's export of B's Group with %s exactly as for an absent Group: 404", async (path, lenient) => {
    const probe = await refusal(patientToken, path, lenient);
    expectOutcome(probe, 404, 'not-found');
    expect(shape(probe, 'group-ab')).toEqual(shape(await refusal(patientToken, path.replace('group-ab', 'no-such-id'), lenient), 'no-such-id'));
  });

  it('refuses A a system-level export, even of a single type: 403', async () => {
    const res = await refusal(patientToken, '$export?_type=Binary', true);
    expectOutcome(res, 403, 'forbidden');
    expect(res.body.issue[0].diagnostics).toBe('A token bound to a patient cannot export the whole system; use Patient/$export');
  });

  it("exports a one-patient Group cohort to a system client without another patient's data (Binary and Bundle left out)", async () => {
    const system = await server.sign({ scope: 'system/*.rs' });
    const types = 'Binary,Device,Bundle,Group,Patient,Condition,Encounter,Observation,DocumentReference';
    const { refs, warnings } = await exportAs(system, `Group/group-a/$export?_type=${types}`, true);
    // B has data of every exported type; a cohort also sees the Groups naming its patient next to others (README,
    // Bulk export), so group-ab is in and nothing else of B is.
    expect(refs).toEqual([
      'Condition/cond-a1',
      'Condition/cond-a2',
      'Device/implant-a',
      'DocumentReference/doc-a',
      'Encounter/enc-a',
      'Group/group-a',
      'Group/group-ab',
      'Observation/obs-a-links',
      `Patient/${A}`,
    ]);
    expect(warnings).toEqual(leftOut(['Binary', 'Bundle'], 'group'));
  });
});
