import { A, B, type Caller, type JsonResponse, type SecureServer, binary, docRef, put, refsOf, seedTwoPatients, startSecureServer } from './support';

/**
 * Shared by the escape-paths-*.test.ts files: every path a token bound to patient A could take out of A's data
 * (docs/patient-access.md), tried over HTTP. A never sees B's data, never the data of a hidden type, and never learns
 * that something of B exists where an absent id would answer the same. This file holds the data those probes run
 * against (both patients, shared and hidden types, cross-links) and what counts as a leak.
 */
export const device = (id: string, patient: string) => ({
  resourceType: 'Device',
  id,
  identifier: [{ system: 'urn:test:serial', value: `serial-${id}` }],
  manufacturer: `maker of ${id}`,
  patient: { reference: `Patient/${patient}` },
});

/** Binaries A must never read, whatever their securityContext says. */
export const HIDDEN_BINARIES = {
  'bin-doc-b': { reference: 'DocumentReference/doc-b' },
  'bin-loose': undefined,
  'bin-ctx-patient-b': { reference: `Patient/${B}` },
  'bin-ctx-encounter-b': { reference: 'Encounter/enc-b' },
  'bin-ctx-bundle': { reference: 'Bundle/bundle-a' },
  'bin-ctx-linkage': { reference: 'Linkage/link-a' },
  'bin-ctx-binary': { reference: 'Binary/bin-doc-a' },
  'bin-ctx-identifier': { identifier: { system: 'urn:test:docs', value: 'doc-a' } },
  'bin-ctx-absolute-elsewhere': { reference: 'https://elsewhere.test/fhir/DocumentReference/doc-a' },
  // A's own document, deleted after its Binary was stored: the Binary follows it out of sight.
  'bin-ctx-deleted': { reference: 'DocumentReference/doc-deleted' },
} as const;

/** Everything that is B's, hidden, or B's Binary: none of it may reach A by any path. */
export const FORBIDDEN = new Set([
  `Patient/${B}`,
  'Condition/cond-b1',
  'Encounter/enc-b',
  'Observation/obs-b',
  'DocumentReference/doc-b',
  'Device/implant-b',
  'GuidanceResponse/gr-b',
  'Contract/contract-ab',
  'Group/group-ab',
  'Bundle/bundle-a',
  'Bundle/document-b',
  'Linkage/link-a',
  'MessageHeader/mh-a',
  'VerificationResult/vr-a',
  'Provenance/prov-b',
  ...Object.keys(HIDDEN_BINARIES).map((id) => `Binary/${id}`),
]);
/** What lies in B's record (compartment or linked types). */
export const B_RECORD = new Set(
  [...FORBIDDEN].filter((r) => /^(Patient|Condition|Encounter|Observation|DocumentReference|Device|GuidanceResponse|Contract|Group|Provenance)\//.test(r)),
);
export const leaked = (body: Parameters<typeof refsOf>[0]) => refsOf(body).filter((r) => FORBIDDEN.has(r));

/** A search answered 200 that returns nothing forbidden. */
export async function searchLeaks(caller: Caller, path: string): Promise<string[]> {
  const res = await caller.json('GET', path);
  expect({ path, status: res.status }).toEqual({ path, status: 200 });
  return leaked(res.body);
}

/** Status, issue codes and diagnostics of an answer, with `id` replaced: two probes must look the same. */
export const shape = (res: JsonResponse, id: string) => ({
  status: res.status,
  issues: (res.body?.issue ?? []).map((i: { code: string; diagnostics?: string }) => `${i.code}: ${(i.diagnostics ?? '').split(id).join('<id>')}`),
});

/** A secure server seeded with the escape-path data, and patient A's caller with `patient/*.rs`. */
export async function startEscapeServer(): Promise<{ server: SecureServer; patientA: Caller }> {
  // A short poll interval, so bulk export jobs start as soon as they are queued.
  const server = await startSecureServer({ BULK_EXPORT_POLL: '20ms' });
  const sys = server.system;
  await seedTwoPatients(sys);
  await put(sys, { resourceType: 'Observation', id: 'obs-b', status: 'final', code: { text: 'B' }, subject: { reference: `Patient/${B}` } });
  await put(sys, docRef('doc-a', A));
  await put(sys, docRef('doc-b', B));
  await put(sys, { resourceType: 'Organization', id: 'hospital', name: 'General Hospital' });
  await put(sys, device('implant-a', A));
  await put(sys, device('implant-b', B));
  await put(sys, { resourceType: 'GuidanceResponse', id: 'gr-b', status: 'success', moduleUri: 'urn:m', subject: { reference: `Patient/${B}` } });
  await put(sys, { resourceType: 'Contract', id: 'contract-a', subject: [{ reference: `Patient/${A}` }] });
  await put(sys, {
    resourceType: 'Contract',
    id: 'contract-ab',
    subject: [{ reference: `Patient/${A}` }],
    signer: [
      {
        type: { code: 'SELF' },
        party: { reference: `Patient/${B}` },
        signature: [{ type: [{ code: '1.2.840.10065.1.12.1.1' }], when: '2024-01-01T00:00:00Z', who: { reference: `Patient/${B}` } }],
      },
    ],
  });
  await put(sys, { resourceType: 'Group', id: 'group-a', type: 'person', actual: true, member: [{ entity: { reference: `Patient/${A}` } }] });
  await put(sys, {
    resourceType: 'Group',
    id: 'group-ab',
    type: 'person',
    actual: true,
    member: [{ entity: { reference: `Patient/${A}` } }, { entity: { reference: `Patient/${B}` } }],
  });
  await put(sys, {
    resourceType: 'Bundle',
    id: 'document-b',
    type: 'collection',
    entry: [{ fullUrl: 'urn:uuid:1', resource: { resourceType: 'Patient', name: [{ family: 'Brown' }] } }],
  });
  await put(sys, {
    resourceType: 'Bundle',
    id: 'bundle-a',
    type: 'collection',
    entry: [{ fullUrl: `${server.baseUrl}/Patient/${A}`, resource: { resourceType: 'Patient', id: A } }],
  });
  await put(sys, {
    resourceType: 'Linkage',
    id: 'link-a',
    item: [
      { type: 'source', resource: { reference: `Patient/${A}` } },
      { type: 'alternate', resource: { reference: `Patient/${B}` } },
    ],
  });
  await put(sys, {
    resourceType: 'MessageHeader',
    id: 'mh-a',
    eventCoding: { system: 'urn:e', code: 'x' },
    source: { endpoint: 'urn:s' },
    focus: [{ reference: `Patient/${A}` }],
  });
  await put(sys, { resourceType: 'VerificationResult', id: 'vr-a', status: 'attested', target: [{ reference: `Patient/${A}` }] });
  await put(sys, {
    resourceType: 'Provenance',
    id: 'prov-b',
    recorded: '2024-01-01T00:00:00Z',
    target: [{ reference: `Patient/${B}` }, { reference: 'Condition/cond-b1' }],
    agent: [{ who: { reference: 'Organization/hospital' } }],
  });
  await put(sys, binary('bin-doc-a', { reference: 'DocumentReference/doc-a' }));
  await put(sys, binary('bin-ctx-org', { reference: 'Organization/hospital' }));
  await put(sys, docRef('doc-deleted', A));
  for (const [id, context] of Object.entries(HIDDEN_BINARIES)) await put(sys, binary(id, context));
  expect((await sys.json('DELETE', 'DocumentReference/doc-deleted')).status).toBeLessThan(300);
  // A's own resources that reference B's data and hidden types: starting points for includes and chains.
  await put(sys, {
    resourceType: 'Observation',
    id: 'obs-a-links',
    status: 'final',
    code: { text: 'links out' },
    subject: { reference: `Patient/${A}` },
    device: { reference: 'Device/implant-b' },
    focus: [{ reference: 'Bundle/document-b' }, { reference: 'Linkage/link-a' }, { reference: 'Binary/bin-doc-b' }, { reference: 'Condition/cond-b1' }],
    derivedFrom: [{ reference: 'DocumentReference/doc-b' }],
  });
  await put(sys, {
    resourceType: 'List',
    id: 'list-a',
    status: 'current',
    mode: 'working',
    subject: { reference: `Patient/${A}` },
    entry: ['Binary/bin-doc-b', 'Bundle/document-b', 'Device/implant-b', 'Binary/bin-ctx-org'].map((reference) => ({ item: { reference } })),
  });
  return { server, patientA: await server.patient(A, 'patient/*.rs') };
}
