import { observation, patient, startBulkServer, type BulkTestServer } from './helpers';

const ids = (rows: any[]) => rows.map((r) => r.id).sort();

describe('Patient and Group level $export', () => {
  let server: BulkTestServer;
  const files = async (location: string | null) => {
    const done = await server.waitDone(location as string);
    expect(done.status).toBe(200);
    const out: Record<string, any[]> = {};
    for (const f of done.body.output) out[f.type] = [...(out[f.type] ?? []), ...(await server.lines(f.url))];
    return { out, manifest: done.body };
  };

  beforeAll(async () => {
    server = await startBulkServer();
    await server.seed([
      patient('p1'),
      patient('p2'),
      patient('p3'),
      observation('o1', 'p1'),
      observation('o2', 'p2'),
      observation('o3', 'p3'),
      { resourceType: 'Observation', id: 'orphan', status: 'final', code: { text: 'no subject' } } as any,
      { resourceType: 'Organization', id: 'org1', name: 'Clinic' } as any,
      { resourceType: 'Device', id: 'implant-p1', patient: { reference: 'Patient/p1' } } as any,
      { resourceType: 'Device', id: 'spare', manufacturer: 'no patient' } as any,
    ]);
    const group = {
      resourceType: 'Group',
      id: 'cohort',
      type: 'person',
      actual: true,
      member: [
        { entity: { reference: 'Patient/p1' } },
        { entity: { reference: `${server.baseUrl}/Patient/p2` } },
        { entity: { reference: 'Patient/p3' }, inactive: true },
      ],
    };
    const res = await server.api('Group/cohort', { method: 'PUT', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(group) });
    expect(res.status).toBe(201);
  });
  afterAll(() => server.close());

  it('Patient/$export exports patient-compartment data of every patient, and nothing outside a compartment', async () => {
    const { out } = await files((await server.kickoff('Patient/$export')).headers.get('content-location'));
    expect(ids(out.Patient)).toEqual(['p1', 'p2', 'p3']);
    expect(ids(out.Observation)).toEqual(['o1', 'o2', 'o3']);
    expect(out.Organization).toBeUndefined();
  });

  it('Group/[id]/$export exports the active members (relative or absolute references) and their data', async () => {
    const { out, manifest } = await files((await server.kickoff('Group/cohort/$export')).headers.get('content-location'));
    expect(manifest.request).toBe(`${server.baseUrl}/Group/cohort/$export`);
    expect(ids(out.Patient)).toEqual(['p1', 'p2']);
    expect(ids(out.Observation)).toEqual(['o1', 'o2']);
    // The R4 Patient compartment puts a Group in each member's compartment, so the cohort itself is exported too.
    expect(ids(out.Group)).toEqual(['cohort']);
  });

  it('narrows a Group export to the patients of a POST patient parameter', async () => {
    const body = { resourceType: 'Parameters', parameter: [{ name: 'patient', valueReference: { reference: 'Patient/p2' } }] };
    const { out } = await files((await server.kickoff('Group/cohort/$export', { body })).headers.get('content-location'));
    expect(ids(out.Patient)).toEqual(['p2']);
    expect(ids(out.Observation)).toEqual(['o2']);
  });

  it('returns 400 for a patient that is not a member of the Group, unless handling is lenient', async () => {
    const body = {
      resourceType: 'Parameters',
      parameter: [
        { name: 'patient', valueReference: { reference: 'Patient/p3' } },
        { name: 'patient', valueReference: { reference: 'Patient/p1' } },
      ],
    };
    expect((await server.kickoff('Group/cohort/$export', { body })).status).toBe(400);
    const lenient = await server.kickoff('Group/cohort/$export', { body, headers: { prefer: 'respond-async, handling=lenient' } });
    expect(lenient.status).toBe(202);
    const { out, manifest } = await files(lenient.headers.get('content-location'));
    expect(ids(out.Patient)).toEqual(['p1']);
    expect(manifest.error).toHaveLength(1);
  });

  it('narrows a Patient export to the patient parameter, and rejects unknown patients', async () => {
    const body = { resourceType: 'Parameters', parameter: [{ name: 'patient', valueReference: { reference: 'Patient/p3' } }] };
    const { out } = await files((await server.kickoff('Patient/$export', { body })).headers.get('content-location'));
    expect(ids(out.Observation)).toEqual(['o3']);
    const unknown = { resourceType: 'Parameters', parameter: [{ name: 'patient', valueReference: { reference: 'Patient/nobody' } }] };
    expect((await server.kickoff('Patient/$export', { body: unknown })).status).toBe(400);
  });

  it('returns 404 for an unknown Group, and 400 when every requested type is outside the Patient compartment', async () => {
    expect((await server.kickoff('Group/missing/$export')).status).toBe(404);
    const res = await server.kickoff('Patient/$export?_type=Organization,Bundle');
    expect(res.status).toBe(400);
    const [issue] = ((await res.json()) as any).issue;
    expect(issue.diagnostics).toContain('Organization is left out: it is outside the Patient compartment and is shared by all patients');
    expect(issue.diagnostics).toContain('Bundle is left out');
  });

  it.each(['Patient/$export', 'Group/cohort/$export'])(
    '%s exports the requested types it can and lists each type left out, with why, in the error file',
    async (path) => {
      // A _typeFilter of a type left out is no error of its own: the type's line says it all.
      const res = await server.kickoff(`${path}?_type=Observation,Organization,Device,Practitioner&_typeFilter=${encodeURIComponent('Organization?name=Clinic')}`);
      expect(res.status).toBe(202);
      const { out, manifest } = await files(res.headers.get('content-location'));
      expect(Object.keys(out).sort()).toEqual(['Device', 'Observation']);
      // Device is linked to a patient (Device.patient): the patients' own devices, not the spare one.
      expect(ids(out.Device)).toEqual(['implant-p1']);
      expect(manifest.error).toHaveLength(1);
      const outcomes = await server.lines(manifest.error[0].url);
      expect(outcomes.map((oo) => oo.issue[0].diagnostics)).toEqual([
        `Organization is left out: it is outside the Patient compartment and is shared by all patients (a directory, definition or product), not one patient's data, so a ${path.startsWith('Patient') ? 'patient' : 'group'}-level export has none of it`,
        expect.stringMatching(/^Practitioner is left out: .* shared by all patients/),
      ]);
    },
  );

  describe('a Group whose members resolve to no Patient here', () => {
    // Stored before urn:uuid references were refused on write (or straight into the store, as here).
    const uuid = (n: number) => `urn:uuid:0b5e6c1e-0000-4000-8000-00000000000${n}`;
    const group = (id: string, refs: string[]) =>
      ({ resourceType: 'Group', id, type: 'person', actual: true, member: refs.map((reference) => ({ entity: { reference } })) }) as any;
    beforeAll(async () => {
      await server.seed([group('synthea', [uuid(1), uuid(2)]), group('mixed', ['Patient/p1', uuid(3), 'Patient/ghost', 'https://elsewhere.test/fhir/Patient/p2'])]);
    });
    const errors = async (manifest: any) => (await Promise.all(manifest.error.map((f: any) => server.lines(f.url)))).flat().map((oo: any) => oo.issue[0]);

    it('exports nothing of its members and says why in the error file', async () => {
      const { out, manifest } = await files((await server.kickoff('Group/synthea/$export')).headers.get('content-location'));
      expect(out).toEqual({});
      expect(await errors(manifest)).toEqual([
        {
          severity: 'warning',
          code: 'not-found',
          diagnostics: `Group/synthea: 2 of its 2 active members resolve to no Patient on this server and are left out: ${uuid(1)}, ${uuid(2)}`,
        },
        {
          severity: 'warning',
          code: 'not-found',
          diagnostics: "Group/synthea: no active member resolves to a Patient on this server, so the export holds no member's data",
        },
      ]);
    });

    it('exports the members that resolve and lists the others', async () => {
      const { out, manifest } = await files((await server.kickoff('Group/mixed/$export?_type=Patient')).headers.get('content-location'));
      expect(ids(out.Patient)).toEqual(['p1']);
      expect((await errors(manifest)).map((i: any) => i.diagnostics)).toEqual([
        `Group/mixed: 3 of its 4 active members resolve to no Patient on this server and are left out: ${uuid(3)}, https://elsewhere.test/fhir/Patient/p2, Patient/ghost`,
      ]);
    });
  });

  it('returns 400 for the patient parameter at system level', async () => {
    const body = { resourceType: 'Parameters', parameter: [{ name: 'patient', valueReference: { reference: 'Patient/p1' } }] };
    expect((await server.kickoff('$export', { body })).status).toBe(400);
  });

  it('filters with _typeFilter through the search compiler, OR-ing the queries of one type', async () => {
    await server.seed([observation('lab1', 'p1', '2345-7', 'final'), observation('lab2', 'p1', '2345-7', 'preliminary')]);
    const q = encodeURIComponent('Observation?code=2345-7&status=final') + ',' + encodeURIComponent('Observation?_id=o2');
    const { out } = await files((await server.kickoff(`Patient/$export?_type=Observation&_typeFilter=${q}`)).headers.get('content-location'));
    expect(ids(out.Observation)).toEqual(['lab1', 'o2']);
  });

  it('returns 400 for a _typeFilter with an unknown search parameter', async () => {
    const q = encodeURIComponent('Observation?no-such-param=1');
    expect((await server.kickoff(`$export?_typeFilter=${q}`)).status).toBe(400);
  });

  it('exports every resource of the type, with a warning, when a _typeFilter cannot be applied under lenient handling', async () => {
    const q = encodeURIComponent('Observation?_id=o1') + ',' + encodeURIComponent('Observation?no-such-param=1');
    const res = await server.kickoff(`$export?_type=Observation&_typeFilter=${q}`, { headers: { prefer: 'respond-async, handling=lenient' } });
    expect(res.status).toBe(202);
    const { out, manifest } = await files(res.headers.get('content-location'));
    const unfiltered = await files((await server.kickoff('$export?_type=Observation')).headers.get('content-location'));
    // Ignoring both OR-ed queries exports more than asked; keeping only _id=o1 would have exported less.
    expect(ids(out.Observation)).toEqual(ids(unfiltered.out.Observation));
    expect(ids(out.Observation)).toEqual(expect.arrayContaining(['o1', 'o2', 'orphan']));
    expect(manifest.error).toHaveLength(1);
    const [oo] = await server.lines(manifest.error[0].url);
    expect(oo.issue[0].diagnostics).toContain('no-such-param');
    expect(oo.issue[0].diagnostics).toContain('every Observation is exported');
  });
});
