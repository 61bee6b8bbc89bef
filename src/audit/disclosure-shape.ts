import type { AuditEvent, AuditEventAgent, CodeableConcept, Coding } from 'fhir/r4';
import type { AccessPolicy } from '../auth/access-policy';
import type { Recipient } from '../auth/client-registration';
import { PURPOSE_OF_USE_SYSTEM, UNKNOWN_PURPOSE, isPurposeOfUse, purposeCoding } from '../auth/purpose-of-use';
import { CATEGORY_SYSTEM, DISCLOSURE_CATEGORIES, categoryCoding } from '../disclosures/rules';
import { parseDateRange } from '../fhir/date-time';

/**
 * How an AuditEvent says that it records a disclosure: data of a patient released to a recipient outside the covered
 * entity, by this server to a client registered so (src/audit/balp.ts) or by anyone and recorded through the API
 * (a paper copy to a lawyer). The accounting of disclosures (src/disclosures/) reads these; README "Accounting of
 * disclosures" documents the shape.
 */
export const DISCLOSE_SUBTYPE: Coding = {
  system: 'http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle',
  code: 'disclose',
  display: 'Disclose Record Lifecycle Event',
};
/** The recipient agent's type. */
export const RECIPIENT_TYPE: Coding = { system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP', display: 'information recipient' };
/** The recipient's postal address, on the recipient agent (AuditEvent.agent has no address of its own). */
export const RECIPIENT_ADDRESS_URL = 'http://fhirstone.org/fhir/StructureDefinition/recipient-address';

export const isDisclosure = (event: AuditEvent): boolean => (event.subtype ?? []).some((s) => s.system === DISCLOSE_SUBTYPE.system && s.code === DISCLOSE_SUBTYPE.code);

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

/** The patients a disclosure event names as entities, as `Patient/<id>`. */
export function disclosedPatients(event: AuditEvent): string[] {
  const refs = (event.entity ?? []).map((e) => e.what?.reference).filter((r): r is string => r !== undefined && /^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(r));
  return [...new Set(refs)];
}

const startOf = (text: string | undefined) => (text ? parseDateRange(text)?.lo : undefined);

/** When a disclosure was made: its `period.start`, else when it was recorded. */
export function disclosureDate(event: AuditEvent): Date | undefined {
  return startOf(event.period?.start) ?? startOf(event.recorded);
}

/**
 * The key a stored disclosure event is found by (`d` of its document, indexed with its patients and date:
 * src/store/audit-collection.ts). Absent for every other event, and for a disclosure recorded as failed.
 */
export function disclosureKey(event: AuditEvent): { p: string[]; at: Date } | undefined {
  if (!isDisclosure(event) || (event.outcome !== undefined && event.outcome !== '0')) return undefined;
  const p = disclosedPatients(event);
  const at = disclosureDate(event);
  return p.length && at ? { p, at } : undefined;
}

/**
 * Why a disclosure event a client records (POST AuditEvent with the disclose subtype) cannot be accounted for, one
 * problem per element, each with its FHIRPath; empty when it has the documented shape: every `Patient/<id>` entity
 * describes what was disclosed, an information-recipient agent names the recipient (its address in the
 * recipient-address extension, when known), and purposeOfEvent states the purpose as a v3 PurposeOfUse code or a
 * disclosure category.
 */
export function disclosureShapeProblems(event: AuditEvent): Array<{ problem: string; path: string }> {
  const out: Array<{ problem: string; path: string }> = [];
  const patients = (event.entity ?? []).map((e, i) => ({ e, i })).filter(({ e }) => /^Patient\/[^/]+$/.test(e.what?.reference ?? ''));
  if (!patients.length) out.push({ problem: 'a disclosure names the patient as an entity (what: Patient/<id>)', path: 'AuditEvent.entity' });
  for (const { e, i } of patients) {
    if (!e.description?.trim()) out.push({ problem: 'the patient entity of a disclosure describes what was disclosed', path: `AuditEvent.entity[${i}].description` });
  }
  const recipients = event.agent.map((a, i) => ({ a, i })).filter(({ a }) => isRecipientAgent(a));
  if (!recipients.length) {
    out.push({ problem: `a disclosure names its recipient as an agent of type ${RECIPIENT_TYPE.system}|${RECIPIENT_TYPE.code}`, path: 'AuditEvent.agent' });
  }
  for (const { a, i } of recipients) {
    if (!(a.name ?? a.who?.display)?.trim()) out.push({ problem: 'the recipient agent gives the recipient name (name or who.display)', path: `AuditEvent.agent[${i}]` });
    const bad = (a.extension ?? []).findIndex((x) => x.url === RECIPIENT_ADDRESS_URL && !x.valueAddress);
    if (bad >= 0) out.push({ problem: `${RECIPIENT_ADDRESS_URL} holds a valueAddress`, path: `AuditEvent.agent[${i}].extension[${bad}]` });
  }
  if (!purposesOf(event).length && !categoriesOf(event).length) {
    out.push({
      problem: `a disclosure states its purpose in purposeOfEvent: a code of ${PURPOSE_OF_USE_SYSTEM} (v3 PurposeOfUse) or of ${CATEGORY_SYSTEM}`,
      path: 'AuditEvent.purposeOfEvent',
    });
  }
  const codings = (event.purposeOfEvent ?? []).flatMap((c) => c.coding ?? []);
  for (const c of codings) {
    if ((c.system === PURPOSE_OF_USE_SYSTEM && !isPurposeOfUse(c.code)) || (c.system === CATEGORY_SYSTEM && !DISCLOSURE_CATEGORIES.includes(c.code ?? ''))) {
      out.push({ problem: `${c.system}|${c.code} is not a known code of its system`, path: 'AuditEvent.purposeOfEvent' });
    }
  }
  return out;
}

const codesOf = (event: AuditEvent, system: string) =>
  (event.purposeOfEvent ?? []).flatMap((c) => c.coding ?? []).flatMap((c) => (c.system === system && c.code ? [c.code] : []));

/** The v3 PurposeOfUse codes an event states. */
export const purposesOf = (event: AuditEvent): string[] => codesOf(event, PURPOSE_OF_USE_SYSTEM).filter(isPurposeOfUse);
/** The disclosure categories an event names. */
export const categoriesOf = (event: AuditEvent): string[] => codesOf(event, CATEGORY_SYSTEM).filter((c) => DISCLOSURE_CATEGORIES.includes(c));
