import type { AuditEvent, AuditEventAgent, CodeableConcept, Coding } from 'fhir/r4';
import type { AccessPolicy } from '../auth/access-policy';
import type { Recipient } from '../auth/client-registration';
import { UNKNOWN_PURPOSE, purposeCoding } from '../auth/purpose-of-use';
import { categoryCoding } from '../disclosures/rules';

/**
 * How an AuditEvent says that it records a disclosure: data of a patient released to a recipient outside the covered
 * entity, by this server to a client registered so (src/audit/balp.ts) or by anyone and recorded through the API
 * (a paper copy to a lawyer). The accounting of disclosures (src/disclosures/) reads these; README "Accounting of
 * disclosures" documents the shape.
 */
export const DISCLOSE_SUBTYPE: Coding = { system: 'http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle', code: 'disclose', display: 'Disclose Record Lifecycle Event' };
/** The recipient agent's type. */
export const RECIPIENT_TYPE: Coding = { system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP', display: 'information recipient' };
/** The recipient's postal address, on the recipient agent (AuditEvent.agent has no address of its own). */
export const RECIPIENT_ADDRESS_URL = 'http://fhirstone.org/fhir/StructureDefinition/recipient-address';

export const isDisclosure = (event: AuditEvent): boolean =>
  (event.subtype ?? []).some((s) => s.system === DISCLOSE_SUBTYPE.system && s.code === DISCLOSE_SUBTYPE.code);

export const isRecipientAgent = (agent: AuditEventAgent): boolean =>
  (agent.type?.coding ?? []).some((c) => c.system === RECIPIENT_TYPE.system && c.code === RECIPIENT_TYPE.code);

/** The agent naming a registered recipient organisation. */
export function recipientAgent(recipient: Recipient): AuditEventAgent {
  const agent: AuditEventAgent = { type: { coding: [RECIPIENT_TYPE] }, who: { display: recipient.name }, name: recipient.name, requestor: false };
  if (recipient.address) agent.extension = [{ url: RECIPIENT_ADDRESS_URL, valueAddress: recipient.address }];
  return agent;
}

/**
 * `AuditEvent.purposeOfEvent` of an access: one concept per purpose of use the caller's token or client registration
 * gives (v3 PurposeOfUse), unknown (v3 NullFlavor UNK) when neither does, plus the disclosure category its recipient
 * is registered with, if any.
 */
export function purposeOfEvent(policy: Pick<AccessPolicy, 'purposeOfUse' | 'recipient'> | undefined): CodeableConcept[] {
  const codes = policy?.purposeOfUse ?? [];
  const out: CodeableConcept[] = codes.length ? codes.map((code) => ({ coding: [purposeCoding(code)] })) : [{ coding: [UNKNOWN_PURPOSE] }];
  if (policy?.recipient?.category) out.push({ coding: [categoryCoding(policy.recipient.category)] });
  return out;
}
