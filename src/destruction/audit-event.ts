import type { AuditEvent, Coding } from 'fhir/r4';

/** ISO 21089 record lifecycle: the destruction of a record (R4 AuditEvent.type and subtype are extensible). */
export const DESTROY: Coding = { system: 'http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle', code: 'destroy', display: 'Destroy/Delete Record Lifecycle Event' };

const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';

/**
 * The AuditEvent of one committed batch of a destruction: the patients whose records went (their ids: the audit
 * trail keeps what happened to whom, and ids name no one), the certificate that proves it, and the job that did it.
 * The server is the agent; the requester and approver are in the certificate, which the job's events point to.
 */
export function destructionEvent(input: { job: string; patients: readonly string[]; certificate: string; baseUrl: string }): AuditEvent {
  return {
    resourceType: 'AuditEvent',
    type: DESTROY,
    subtype: [DESTROY],
    action: 'D',
    recorded: new Date().toISOString(),
    outcome: '0',
    outcomeDesc: `${input.patients.length} records destroyed by job ${input.job}`,
    agent: [{ type: { text: 'Certified destruction job' }, who: { display: `fhirstone destruction job ${input.job}` }, requestor: false }],
    source: { observer: { display: 'fhirstone certified destruction' } },
    entity: [
      ...input.patients.map((id) => ({
        what: { reference: `Patient/${id}` },
        type: { system: ENTITY_TYPE, code: '1', display: 'Person' },
        role: { system: OBJECT_ROLE, code: '1', display: 'Patient' },
      })),
      {
        what: { reference: `DocumentReference/${input.certificate}` },
        type: { system: ENTITY_TYPE, code: '2', display: 'System Object' },
        role: { system: OBJECT_ROLE, code: '3', display: 'Report' },
        description: 'Certificate of destruction',
      },
      {
        what: { identifier: { system: 'urn:ietf:rfc:3986', value: `${input.baseUrl}/$job-status/${input.job}` } },
        type: { system: ENTITY_TYPE, code: '2', display: 'System Object' },
        role: { system: OBJECT_ROLE, code: '20', display: 'Job' },
        name: input.job,
      },
    ],
  };
}
