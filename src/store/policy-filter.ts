import type { Filter } from 'mongodb';
import type { AccessPolicy } from '../auth/access-policy';
import { isInPatientCompartmentDefinition } from '../fhir/patient-compartment';
import type { StoredDocument } from './stored-document';

/**
 * The MongoDB filter that bounds what a policy may see of one type. Applied by the repository to every query it
 * runs (reads, searches, includes, chains, history, conditional matches), never at the route.
 * Returns undefined when the policy does not restrict the type.
 */
export function compartmentFilter(policy: AccessPolicy, type: string): Filter<StoredDocument> | undefined {
  if (!policy.patientIds || !isInPatientCompartmentDefinition(type)) return undefined;
  const own = policy.patientIds.map((id) => `Patient/${id}`);
  if (LISTS_OF_PATIENTS.has(type) && !policy.patientCohort) {
    return { $and: [{ c: { $in: own } }, { c: { $not: { $elemMatch: { $nin: own } } } }] };
  }
  return { c: { $in: own } };
}

/**
 * Types whose resources list patients rather than being about one: an AuditEvent of a request that touched several
 * patients (a system search), a Group's members. Showing one to a member would disclose the others' ids (and the
 * event's query), so a bound token sees only those naming no other patient.
 */
const LISTS_OF_PATIENTS: ReadonlySet<string> = new Set(['AuditEvent', 'Group']);

/**
 * False when the policy is bound to patients and `type` is not patient data (Organization, Practitioner, Medication,
 * ...): such a token may read these shared resources but not create, change or delete them.
 */
export function mayWriteType(policy: AccessPolicy, type: string): boolean {
  return !policy.patientIds || isInPatientCompartmentDefinition(type);
}

/**
 * True when a resource with these compartments may be written by the policy: it must be in one of the policy's
 * patient compartments and in no other patient's, or naming the caller's patient next to another one (Observation
 * subject B, performer A) would write into B's record.
 */
export function compartmentAllowsWrite(policy: AccessPolicy, type: string, compartments: readonly string[]): boolean {
  if (!policy.patientIds || !isInPatientCompartmentDefinition(type)) return true;
  const own = new Set(policy.patientIds.map((id) => `Patient/${id}`));
  const patients = compartments.filter((c) => c.startsWith('Patient/'));
  return patients.length > 0 && patients.every((c) => own.has(c));
}
