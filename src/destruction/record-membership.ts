import type { Resource } from 'fhir/r4';
import { isJsonObject } from '../fhir/json';
import { referencedPatientIds } from '../search/patient-references';
import { normalizeReference } from '../search/types/reference';

/**
 * What a resource is to one patient's record: `member` (destroyed with it), `shared` (kept, the patient's
 * references removed), `kept` (a type destruction never touches: the audit trail) or `none`.
 */
export type RecordRole = 'member' | 'shared' | 'kept' | 'none';

/** Which resources make up a patient's record: the retention rules' membership (src/retention/). */
export interface RecordMembership {
  roleOf(resource: Resource, patientId: string, baseUrl?: string): RecordRole;
}

/**
 * Types that go with the record when every resource they name through the given element goes, whatever
 * membership says of them: a Binary with the resource its securityContext names (an attachment has no patient of its
 * own), a Provenance with its targets. Found by the index entry named (src/search/security-context-entry.ts, the
 * `target` search parameter).
 */
export const DEPENDENTS: ReadonlyArray<{ type: string; entry: string }> = [
  { type: 'Binary', entry: '_security-context' },
  { type: 'Provenance', entry: 'target' },
];

/** Top-level elements through which a resource belongs to its patient, until the retention rules say more. */
const BELONGS_VIA = ['subject', 'patient', 'beneficiary'];
const ALWAYS_SHARED = new Set(['Group']);
/**
 * The audit trail is never destroyed: its events about a destroyed record stay (their identifying text unreadable
 * once the record's key is gone, src/audit/query-text.ts) and its hash chain stays intact.
 */
export const NEVER_DESTROYED: ReadonlySet<string> = new Set(['AuditEvent']);

/**
 * A minimal membership for a server without retention rules: the Patient itself and every resource whose
 * `subject`, `patient` or `beneficiary` names it are members; a Group, and any other resource naming the patient
 * elsewhere, is shared; the audit trail is kept.
 */
export const basicMembership: RecordMembership = {
  roleOf(resource, patientId, baseUrl) {
    if (NEVER_DESTROYED.has(resource.resourceType)) return 'kept';
    if (resource.resourceType === 'Patient' && resource.id === patientId) return 'member';
    const patient = `Patient/${patientId}`;
    const record = resource as unknown as Record<string, unknown>;
    const named = BELONGS_VIA.some((e) => {
      const ref = record[e];
      return isJsonObject(ref) && typeof ref.reference === 'string' && normalizeReference(ref.reference, baseUrl) === patient;
    });
    if (named && !ALWAYS_SHARED.has(resource.resourceType)) return 'member';
    return referencedPatientIds(resource, baseUrl).includes(patientId) ? 'shared' : 'none';
  },
};
