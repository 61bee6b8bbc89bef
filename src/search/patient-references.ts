import type { Resource } from 'fhir/r4';
import type { Filter } from 'mongodb';
import { collectReferences } from '../fhir/references';
import type { StoredDocument } from '../store/stored-document';
import type { IndexEntry } from './types';
import { normalizeReference } from './types/reference';

/**
 * Every Patient a resource references, in ANY reference element: a search parameter's, one no parameter covers
 * (Observation.focus, Claim.payee.party, an extension's valueReference), or one inside a contained resource. Search
 * parameters and the compartment (`c`) cover only some of these; a patient merge must find them all, so the index
 * builder writes one `s.e` entry `{p: '_patient-ref', v: 'Patient/<id>'}` per distinct Patient referenced, served by
 * the `search_value` index like any token. The code starts with `_` and is no SearchParameter's, so no client query
 * reaches it; it is also left out of sort keys.
 */
export const PATIENT_REFERENCE = '_patient-ref';

const PATIENT = /^Patient\/([A-Za-z0-9.-]{1,64})$/;

/** The id of the Patient a reference names (`Patient/1`, `Patient/1/_history/2`, absolute to this server), if it does. */
export function referencedPatientId(reference: string, baseUrl?: string): string | undefined {
  return PATIENT.exec(normalizeReference(reference, baseUrl) ?? '')?.[1];
}

/** The ids of the Patients `resource` references (versioned references by their resource), each once. */
export function referencedPatientIds(resource: Resource, baseUrl?: string): string[] {
  const ids = new Set<string>();
  for (const ref of collectReferences(resource)) {
    const id = referencedPatientId(ref, baseUrl);
    if (id) ids.add(id);
  }
  return [...ids];
}

/** The `s.e` entries that record the Patients `resource` references. */
export function patientReferenceEntries(resource: Resource, baseUrl?: string): IndexEntry[] {
  return referencedPatientIds(resource, baseUrl).map((id) => ({ p: PATIENT_REFERENCE, v: `Patient/${id}` }));
}

/** Current documents that reference `Patient/<patientId>` anywhere (an indexed query). */
export function referencesPatient(patientId: string): Filter<StoredDocument> {
  return { 's.e': { $elemMatch: { p: PATIENT_REFERENCE, v: `Patient/${patientId}` } } };
}

/** The Patients a stored document references, read from its index entries (no parse of its text). */
export function storedPatientReferences(doc: Pick<StoredDocument, 's'>): string[] {
  const s = doc.s as { e?: IndexEntry[] } | undefined;
  return (s?.e ?? []).flatMap((e) => (e.p === PATIENT_REFERENCE && typeof e.v === 'string' ? [e.v.slice('Patient/'.length)] : []));
}
