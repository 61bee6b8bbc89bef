import { A, B, type Caller, type SecureServer, binary } from './support';
import { leaked, shape, startEscapeServer } from './escape-fixtures';

/**
 * Paths out of patient A's data by writing (docs/patient-access.md): conditional and by-id writes that probe B, batch
 * and transaction entries, reference checks ($validate, writes).
 * Data, leak sets and helpers: escape-fixtures.ts.
 */
let server: SecureServer;
let patientA: Caller;

beforeAll(async () => {
  ({ server, patientA } = await startEscapeServer());
});
afterAll(() => server.close());

describe('writes and conditional interactions that probe B', () => {
  const ownDevice = (extra: Record<string, unknown> = {}) => ({ resourceType: 'Device', patient: { reference: `Patient/${A}` }, ...extra });
  let writer: Caller;
  beforeAll(async () => {
    writer = await server.patient(A, 'patient/*.cruds');
  });
  const systemDevice = async (id: string) => (await server.system.json('GET', `Device/${id}`)).body;

  it("answers a conditional create matching B's Device as one matching nothing", async () => {
    const probe = await writer.json('POST', 'Device', ownDevice(), { 'if-none-exist': 'identifier=urn:test:serial|serial-implant-b' });
    const absent = await writer.json('POST', 'Device', ownDevice(), { 'if-none-exist': 'identifier=urn:test:serial|serial-none' });
    expect([probe.status, absent.status]).toEqual([201, 201]);
    expect(probe.body.patient.reference).toBe(`Patient/${A}`);
  });

  it("answers a conditional update or delete matching B's Device as one matching nothing, and changes nothing of B", async () => {
    const before = await systemDevice('implant-b');
    const update = await writer.json('PUT', 'Device?identifier=serial-implant-b', ownDevice({ manufacturer: 'overwritten' }));
    const updateAbsent = await writer.json('PUT', 'Device?identifier=serial-none', ownDevice({ manufacturer: 'overwritten' }));
    expect(update.status).toBe(updateAbsent.status);
    const del = await writer.json('DELETE', 'Device?identifier=serial-implant-b');
    const delAbsent = await writer.json('DELETE', 'Device?identifier=serial-none');
    expect(shape(del, 'implant-b')).toEqual(shape(delAbsent, 'none'));
    expect(await systemDevice('implant-b')).toEqual(before);
  });

  it("answers update, patch and delete of B's Device, Binary and Bundle by id as for an absent id", async () => {
    const patch = [{ op: 'replace', path: '/manufacturer', value: 'patched' }];
    for (const [type, id] of [
      ['Device', 'implant-b'],
      ['Binary', 'bin-doc-b'],
      ['Bundle', 'document-b'],
      ['Contract', 'contract-ab'],
      ['Group', 'group-ab'],
    ]) {
      const body = type === 'Device' ? { ...ownDevice(), id } : { ...(await server.system.json('GET', `${type}/${id}`)).body };
      for (const [method, payload, headers] of [
        ['PUT', body, {}],
        ['PATCH', patch, { 'content-type': 'application/json-patch+json' }],
        ['DELETE', undefined, {}],
      ] as const) {
        const probe = await writer.json(method, `${type}/${id}`, payload, headers);
        const absent = await writer.json(method, `${type}/no-such-id`, payload && method === 'PUT' ? { ...payload, id: 'no-such-id' } : payload, headers);
        expect({ type, method, ...shape(probe, id) }).toEqual({ type, method, ...shape(absent, 'no-such-id') });
      }
    }
    expect((await systemDevice('implant-b')).manufacturer).toBe('maker of implant-b');
    expect((await server.system.json('GET', 'Bundle/document-b')).status).toBe(200);
  });

  it("refuses to move A's own Device into B's record, or to name B next to A on a Contract", async () => {
    // 422 when reference validation, run under A's policy, finds no Patient B: the answer for an absent patient.
    expect([403, 422]).toContain((await writer.json('PUT', 'Device/implant-a', { ...ownDevice(), id: 'implant-a', patient: { reference: `Patient/${B}` } })).status);
    const contract = {
      resourceType: 'Contract',
      subject: [{ reference: `Patient/${A}` }],
      signer: [
        {
          type: { code: 'SELF' },
          party: { reference: `Patient/${B}` },
          signature: [{ type: [{ code: 'x' }], when: '2024-01-01T00:00:00Z', who: { reference: `Patient/${A}` } }],
        },
      ],
    };
    expect([403, 422]).toContain((await writer.json('POST', 'Contract', contract)).status);
    expect((await systemDevice('implant-a')).patient.reference).toBe(`Patient/${A}`);
  });

  it('cannot create a Binary, Bundle or Linkage at all, whatever it names', async () => {
    const resources = [
      binary('x', { reference: 'DocumentReference/doc-a' }),
      { resourceType: 'Bundle', type: 'collection' },
      { resourceType: 'Linkage', item: ['source', 'alternate'].map((type) => ({ type, resource: { reference: `Patient/${A}` } })) },
    ];
    const answers = [];
    for (const { id: _id, ...body } of resources as Array<{ resourceType: string; id?: string }>) {
      answers.push({ type: body.resourceType, status: (await writer.json('POST', body.resourceType, body)).status });
    }
    expect(answers).toEqual(resources.map((r) => ({ type: r.resourceType, status: 403 })));
  });
});

describe('batch and transaction entries', () => {
  const bundle = (type: string, entry: unknown[]) => ({ resourceType: 'Bundle', type, entry });
  const get = (url: string) => ({ request: { method: 'GET', url } });

  it("answers batch reads of B's and hidden resources 404 and their searches empty", async () => {
    const urls = [
      'Device/implant-b',
      'Binary/bin-doc-b',
      'Bundle/document-b',
      'Linkage/link-a',
      'Group/group-ab',
      'Device?patient=pat-b',
      'Binary',
      'Patient?_has:Device:patient:_id=implant-b',
      'Bundle',
    ];
    const res = await patientA.json('POST', '', bundle('batch', urls.map(get)));
    expect(res.status).toBe(200);
    const entries = res.body.entry as Array<{ response: { status: string }; resource?: { resourceType: string; entry?: unknown[] } }>;
    entries.forEach((e, i) => {
      const status = e.response.status.split(' ')[0];
      if (urls[i].includes('?') || !urls[i].includes('/'))
        expect({ url: urls[i], status, leaked: leaked(e.resource as never) }).toEqual({ url: urls[i], status: '200', leaked: [] });
      else expect({ url: urls[i], status }).toEqual({ url: urls[i], status: '404' });
    });
  });

  it("resolves a conditional reference matching B's Device exactly as one matching nothing", async () => {
    const writer = await server.patient(A, 'patient/*.cruds');
    const tx = (identifier: string) =>
      bundle('transaction', [
        {
          fullUrl: 'urn:uuid:o',
          request: { method: 'POST', url: 'Observation' },
          resource: {
            resourceType: 'Observation',
            status: 'final',
            code: { text: 'x' },
            subject: { reference: `Patient/${A}` },
            device: { reference: `Device?identifier=${identifier}` },
          },
        },
      ]);
    const probe = await writer.json('POST', '', tx('serial-implant-b'));
    const absent = await writer.json('POST', '', tx('serial-none'));
    expect(shape(probe, 'serial-implant-b')).toEqual(shape(absent, 'serial-none'));
    expect(probe.status).toBeGreaterThanOrEqual(400);
  });

  it("answers a transaction conditional create matching B's Device as one matching nothing", async () => {
    const writer = await server.patient(A, 'patient/*.cruds');
    const tx = (identifier: string) =>
      bundle('transaction', [
        {
          fullUrl: 'urn:uuid:d',
          request: { method: 'POST', url: 'Device', ifNoneExist: `identifier=${identifier}` },
          resource: { resourceType: 'Device', patient: { reference: `Patient/${A}` } },
        },
      ]);
    const probe = await writer.json('POST', '', tx('serial-implant-b'));
    const absent = await writer.json('POST', '', tx('serial-none'));
    expect([probe.status, probe.body.entry?.[0]?.response.status.split(' ')[0]]).toEqual([absent.status, absent.body.entry?.[0]?.response.status.split(' ')[0]]);
    expect(probe.body.entry[0].response.location).not.toContain('implant-b');
  });
});

describe('reference checks ($validate, writes)', () => {
  it("says the same of a reference to B's Device, B's Binary or a hidden Bundle as of an absent one", async () => {
    const observation = (ref: string) => ({
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'x' },
      subject: { reference: `Patient/${A}` },
      device: ref.startsWith('Device') ? { reference: ref } : undefined,
      focus: ref.startsWith('Device') ? undefined : [{ reference: ref }],
    });
    for (const [type, id] of [
      ['Device', 'implant-b'],
      ['Binary', 'bin-doc-b'],
      ['Bundle', 'document-b'],
      ['Linkage', 'link-a'],
    ]) {
      const probe = await patientA.json('POST', 'Observation/$validate', observation(`${type}/${id}`));
      const absent = await patientA.json('POST', 'Observation/$validate', observation(`${type}/no-such-id`));
      expect({ type, ...shape(probe, id) }).toEqual({ type, ...shape(absent, 'no-such-id') });
    }
  });

  it.each(['patient/*.cruds', 'patient/Observation.c'])("answers a write naming B's document Binary exactly as one naming an absent Binary (%s)", async (scope) => {
    const writer = await server.patient(A, scope);
    const focusing = (binaryId: string) => ({
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'x' },
      subject: { reference: `Patient/${A}` },
      focus: [{ reference: `Binary/${binaryId}` }],
    });
    for (const id of ['bin-doc-b', 'bin-loose', 'bin-ctx-bundle']) {
      expect({ id, ...shape(await writer.json('POST', 'Observation', focusing(id)), id) }).toEqual({
        id,
        ...shape(await writer.json('POST', 'Observation', focusing('no-such-id')), 'no-such-id'),
      });
    }
    expect((await writer.json('POST', 'Observation', focusing('bin-doc-a'))).status).toBe(201);
  });
});
