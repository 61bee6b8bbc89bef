import type { Condition, DocumentReference, Encounter, Patient, Practitioner, Resource } from 'fhir/r4';
import type { TestServer } from '../helpers/server';

/** Crafted charts for the completeness tests: resources, and times relative to now written in a chosen offset. */

const HOUR = 3_600_000;
export const hoursAgo = (h: number) => new Date(Date.now() - h * HOUR);
export const daysAgo = (d: number) => hoursAgo(d * 24);

/** An instant as FHIR dateTime text in a given offset (`-05:00`, `+09:00`), as a facility in that zone writes it. */
export function inZone(at: Date, offset: string): string {
  const sign = offset[0] === '-' ? -1 : 1;
  const minutes = sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
  const local = new Date(at.getTime() + minutes * 60_000).toISOString().slice(0, 19);
  return `${local}${offset}`;
}

/** The UTC calendar date `days` before today. */
export const utcDateDaysAgo = (days: number) => new Date(Date.now() - days * 24 * HOUR).toISOString().slice(0, 10);

export const ACT = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
export const ICD = 'http://hl7.org/fhir/sid/icd-10-cm';
export const SNOMED = 'http://snomed.info/sct';

export const patient = (id: string, extra: Partial<Patient> = {}): Patient => ({
  resourceType: 'Patient',
  id,
  identifier: [{ system: 'urn:mrn', value: id }],
  name: [{ family: `Family-${id}`, given: ['Given'] }],
  gender: 'female',
  birthDate: '1970-01-01',
  address: [{ city: 'Springfield' }],
  extension: [
    { url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-race', extension: [{ url: 'text', valueString: 'Unknown' }] },
    { url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity', extension: [{ url: 'text', valueString: 'Unknown' }] },
  ],
  ...extra,
});

export const practitioner = (id: string): Practitioner => ({ resourceType: 'Practitioner', id, name: [{ family: `Dr-${id}` }] });

export function encounter(
  id: string,
  o: { patient: string; cls?: string; status?: Encounter['status']; start?: string; end?: string; attender?: string; performer?: string },
): Encounter {
  const participant: Encounter['participant'] = [];
  const role = (code: string, who: string) => ({
    type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code }] }],
    individual: { reference: `Practitioner/${who}` },
  });
  if (o.performer) participant.push(role('PPRF', o.performer));
  if (o.attender) participant.push(role('ATND', o.attender));
  return {
    resourceType: 'Encounter',
    id,
    status: o.status ?? 'finished',
    class: { system: ACT, code: o.cls ?? 'IMP' },
    subject: { reference: `Patient/${o.patient}` },
    ...(participant.length ? { participant } : {}),
    period: { ...(o.start ? { start: o.start } : {}), ...(o.end ? { end: o.end } : {}) },
  };
}

export function document(
  id: string,
  o: { patient: string; encounter?: string; loinc: string; status?: DocumentReference['status']; date?: string; author?: string; signed?: string },
): DocumentReference {
  return {
    resourceType: 'DocumentReference',
    id,
    status: o.status ?? 'current',
    ...(o.signed ? { docStatus: 'final', authenticator: { reference: `Practitioner/${o.signed}` } } : {}),
    type: { coding: [{ system: 'http://loinc.org', code: o.loinc }] },
    subject: { reference: `Patient/${o.patient}` },
    ...(o.date ? { date: o.date } : {}),
    ...(o.author ? { author: [{ reference: `Practitioner/${o.author}` }] } : {}),
    content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('note').toString('base64') } }],
    ...(o.encounter ? { context: { encounter: [{ reference: `Encounter/${o.encounter}` }] } } : {}),
  };
}

export const DISCHARGE_SUMMARY = '18842-5';
export const HISTORY_AND_PHYSICAL = '34117-2';

export function diagnosis(id: string, o: { patient: string; encounter: string; system?: string; code: string; category?: string }): Condition {
  return {
    resourceType: 'Condition',
    id,
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: o.category ?? 'encounter-diagnosis' }] }],
    code: { coding: [{ system: o.system ?? ICD, code: o.code }] },
    subject: { reference: `Patient/${o.patient}` },
    encounter: { reference: `Encounter/${o.encounter}` },
  };
}

/** Stores resources with PUT (their ids kept), failing the test on any refusal. */
export async function put(server: TestServer, ...resources: Resource[]): Promise<void> {
  for (const r of resources) {
    const res = await server.json('PUT', `${r.resourceType}/${r.id}`, r);
    if (res.status >= 300) throw new Error(`PUT ${r.resourceType}/${r.id}: ${res.status} ${JSON.stringify(res.body)}`);
  }
}

/** The deficiencies `$completeness` reports for an encounter, as rule -> Task. */
export async function deficiencies(server: TestServer, encounterId: string, headers: Record<string, string> = {}) {
  const res = await server.json('GET', `Encounter/${encounterId}/$completeness`, undefined, headers);
  if (res.status !== 200) throw new Error(`$completeness ${encounterId}: ${res.status} ${JSON.stringify(res.body)}`);
  const out: Record<string, any> = {};
  for (const e of res.body.entry ?? []) out[e.resource.code.coding[0].code] = e.resource;
  return out;
}
