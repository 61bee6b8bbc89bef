import { type Caller, put } from '../security/support';

/**
 * Two patients' records for `$everything` and `$docref`, stored by the system caller:
 * - A (`ev-a`): an Encounter (practitioner pr-1, location loc-1, provider org-1), Observations (vital signs and
 *   laboratory, dated 2020 to 2023, one undated, performer pr-1; one referencing the shared Device dev-free and B's
 *   Device dev-b), a Condition whose encounter is B's (a cross-link into B's record), a MedicationRequest
 *   (Medication med-1, requester pr-2), a Coverage (no care date), DocumentReferences of 2021, 2022 and 2023 (the
 *   last a CCD, one of 2022 entered in error), and a Provenance targeting an Observation and the Patient;
 * - B (`ev-b`): an Encounter, an Observation performed by pr-3, a Device dev-b.
 */
export const A = 'ev-a';
export const B = 'ev-b';

const VITAL = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] };
const LAB = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] };
export const LOINC_CCD = { system: 'http://loinc.org', code: '34133-9' };
const NOTE = { system: 'http://loinc.org', code: '11506-3' };

export const observation = (id: string, patient: string, extra: Record<string, unknown> = {}) => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  category: [VITAL],
  code: { text: id },
  subject: { reference: `Patient/${patient}` },
  ...extra,
});

const docRef = (id: string, patient: string, date: string, type: { system: string; code: string }, status = 'current') => ({
  resourceType: 'DocumentReference',
  id,
  status,
  type: { coding: [type] },
  subject: { reference: `Patient/${patient}` },
  date: `${date}T10:00:00Z`,
  context: { period: { start: `${date}T09:00:00Z`, end: `${date}T11:00:00Z` } },
  content: [{ attachment: { contentType: 'text/plain', url: `Binary/bin-${id}` } }],
});

/** What A's record holds (the Patient included), and what it references that belongs to no patient. */
export const A_RECORD = [
  `Patient/${A}`,
  'Encounter/enc-a',
  'Observation/obs-a-2020',
  'Observation/obs-a-2021',
  'Observation/obs-a-2023',
  'Observation/obs-a-lab',
  'Observation/obs-a-undated',
  'Observation/obs-a-devices',
  'Condition/cond-a',
  'MedicationRequest/medreq-a',
  'Coverage/cov-a',
  'DocumentReference/doc-a-2021',
  'DocumentReference/doc-a-2022',
  'DocumentReference/doc-a-2022-error',
  'DocumentReference/doc-a-2023-ccd',
  'Provenance/prov-a',
];
export const A_REFERENCED = ['Practitioner/pr-1', 'Practitioner/pr-2', 'Location/loc-1', 'Organization/org-1', 'Medication/med-1', 'Device/dev-free'];
export const B_DATA = [`Patient/${B}`, 'Encounter/enc-b', 'Observation/obs-b', 'Practitioner/pr-3', 'Device/dev-b'];

export async function seedRecords(system: Caller): Promise<void> {
  for (const id of ['pr-1', 'pr-2', 'pr-3']) await put(system, { resourceType: 'Practitioner', id, name: [{ family: id }] });
  await put(system, { resourceType: 'Organization', id: 'org-1', name: 'Clinic' });
  await put(system, { resourceType: 'Location', id: 'loc-1', name: 'Room 1' });
  await put(system, { resourceType: 'Medication', id: 'med-1', code: { text: 'aspirin' } });
  await put(system, { resourceType: 'Patient', id: A, name: [{ family: 'Able' }], generalPractitioner: [{ reference: 'Practitioner/pr-1' }] });
  await put(system, { resourceType: 'Patient', id: B, name: [{ family: 'Baker' }] });
  await put(system, { resourceType: 'Device', id: 'dev-free', deviceName: [{ name: 'analyser', type: 'user-friendly-name' }] });
  await put(system, { resourceType: 'Device', id: 'dev-b', patient: { reference: `Patient/${B}` } });
  const encounter = (id: string, patient: string, start: string) => ({
    resourceType: 'Encounter',
    id,
    status: 'finished',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
    subject: { reference: `Patient/${patient}` },
    participant: [{ individual: { reference: 'Practitioner/pr-1' } }],
    location: [{ location: { reference: 'Location/loc-1' } }],
    serviceProvider: { reference: 'Organization/org-1' },
    period: { start, end: start.replace('T09', 'T10') },
  });
  await put(system, encounter('enc-a', A, '2021-03-01T09:00:00Z'));
  await put(system, { ...encounter('enc-b', B, '2021-04-01T09:00:00Z'), participant: [{ individual: { reference: 'Practitioner/pr-3' } }] });
  const performer = [{ reference: 'Practitioner/pr-1' }];
  await put(system, observation('obs-a-2020', A, { effectiveDateTime: '2020-06-01T12:00:00Z', performer }));
  await put(system, observation('obs-a-2021', A, { effectiveDateTime: '2021-06-01T12:00:00Z', performer, encounter: { reference: 'Encounter/enc-a' } }));
  await put(system, observation('obs-a-2023', A, { effectivePeriod: { start: '2022-12-31T22:00:00Z', end: '2023-01-01T02:00:00Z' } }));
  await put(system, observation('obs-a-lab', A, { category: [LAB], effectiveDateTime: '2021-07-01T12:00:00Z' }));
  await put(system, observation('obs-a-undated', A));
  await put(
    system,
    observation('obs-a-devices', A, { effectiveDateTime: '2021-08-01', device: { reference: 'Device/dev-free' }, focus: [{ reference: 'Device/dev-b' }] }),
  );
  await put(system, observation('obs-b', B, { effectiveDateTime: '2021-06-01', performer: [{ reference: 'Practitioner/pr-3' }] }));
  await put(system, {
    resourceType: 'Condition',
    id: 'cond-a',
    subject: { reference: `Patient/${A}` },
    encounter: { reference: 'Encounter/enc-b' },
    code: { text: 'cross-linked' },
    onsetDateTime: '2019-01-01',
  });
  await put(system, {
    resourceType: 'MedicationRequest',
    id: 'medreq-a',
    status: 'active',
    intent: 'order',
    subject: { reference: `Patient/${A}` },
    medicationReference: { reference: 'Medication/med-1' },
    requester: { reference: 'Practitioner/pr-2' },
    authoredOn: '2022-02-02',
  });
  await put(system, {
    resourceType: 'Coverage',
    id: 'cov-a',
    status: 'active',
    beneficiary: { reference: `Patient/${A}` },
    payor: [{ reference: 'Organization/org-1' }],
  });
  await put(system, docRef('doc-a-2021', A, '2021-05-05', NOTE));
  await put(system, docRef('doc-a-2022', A, '2022-05-05', NOTE));
  await put(system, docRef('doc-a-2022-error', A, '2022-06-06', NOTE, 'entered-in-error'));
  await put(system, docRef('doc-a-2023-ccd', A, '2023-05-05', LOINC_CCD));
  await put(system, {
    resourceType: 'Provenance',
    id: 'prov-a',
    // Naming the Patient too puts it in A's compartment (the R4 definition's `patient` is a target that is a Patient).
    target: [{ reference: 'Observation/obs-a-2021' }, { reference: `Patient/${A}` }],
    recorded: '2021-06-02T00:00:00Z',
    agent: [{ who: { reference: 'Practitioner/pr-1' } }],
  });
}

export type Entry = { fullUrl: string; resource: { resourceType: string; id: string }; search?: { mode: string } };

/** `Type/id` of the entries in `mode` ('match' or 'include'). */
export function refsIn(bundle: { entry?: Entry[] }, mode: 'match' | 'include'): string[] {
  return (bundle.entry ?? []).filter((e) => e.search?.mode === mode).map((e) => `${e.resource.resourceType}/${e.resource.id}`);
}

/** Follows `next` links from `first` (a path below the base) and returns every page. */
export async function allPages(
  caller: Caller,
  baseUrl: string,
  first: string,
  max = 100,
): Promise<Array<{ entry?: Entry[]; link: Array<{ relation: string; url: string }> }>> {
  const pages = [];
  let path: string | undefined = first;
  while (path !== undefined && pages.length < max) {
    const res = await caller.json('GET', path);
    expect(res.status).toBe(200);
    pages.push(res.body);
    const next = (res.body.link as Array<{ relation: string; url: string }>).find((l) => l.relation === 'next');
    path = next ? next.url.slice(baseUrl.length + 1) : undefined;
  }
  return pages;
}
