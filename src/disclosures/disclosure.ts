import type { Address, AuditEvent, AuditEventAgent, Coding } from 'fhir/r4';
import { RECIPIENT_ADDRESS_URL, categoriesOf, disclosureDate, isRecipientAgent, purposesOf } from '../audit/disclosure-shape';
import { purposeCoding } from '../auth/purpose-of-use';
import type { DisclosureFacts } from './rules';

/** One disclosure of a patient's record, from wherever it was recorded, as an accounting lists it (164.528(b)(2)). */
export interface Disclosure {
  /** When it was made. */
  date: Date;
  /** Who received it. */
  recipient: { name: string; address?: Address };
  /** What was disclosed. */
  what: string;
  /** Why (v3 PurposeOfUse codings, with their displays). */
  purposes: Coding[];
  /** Who made it: the client and user for the server's own, the requestor of a recorded one. */
  by?: string;
  /** Where it is recorded: `AuditEvent/<id>`, or `export-job/<id>` for a bulk export's record. */
  source: string;
  /** What the rules decide from (src/disclosures/rules.ts). */
  facts: DisclosureFacts;
}

const USER_REF = /^(?:Patient|RelatedPerson|Practitioner|PractitionerRole|Person)\/[^/]+$/;

/** The recipient agent's name and address. */
function recipientOf(agent: AuditEventAgent): Disclosure['recipient'] {
  const address = agent.extension?.find((x) => x.url === RECIPIENT_ADDRESS_URL)?.valueAddress;
  return { name: (agent.name ?? agent.who?.display ?? '').trim(), ...(address ? { address } : {}) };
}

/** The RESTful interaction of a server event (`read`, `search`, ...), with the operation it invoked (`$everything (operation)`). */
export function interactionOf(event: AuditEvent): string {
  const interaction = event.subtype?.find((s) => s.system === 'http://hl7.org/fhir/restful-interaction')?.code ?? 'access';
  const query = event.entity?.find((e) => e.role?.code === '24')?.description;
  const operation = query && /\$([A-Za-z-]+)/.exec(query)?.[0];
  return operation ? `${operation} (${interaction})` : interaction;
}

/** The types of the resources a server event names, never their ids (they may be another patient's). */
export function typesOf(event: AuditEvent): string[] {
  const types = new Set<string>();
  for (const e of event.entity ?? []) {
    if (e.role?.code === '1') continue; // the patient entity
    const type = /^([A-Z][A-Za-z]+)\//.exec(e.what?.reference ?? '')?.[1];
    if (type) types.add(type);
  }
  return [...types].sort();
}

/** "read of Observation", "search of Condition, Observation": the interaction and the types it returned. */
function serverWhat(event: AuditEvent): string {
  const types = typesOf(event);
  return `${interactionOf(event)} of ${types.length ? types.join(', ') : 'Patient'}`;
}

/** The user and the client an event names (a recorded disclosure's requestor is its user). */
export function callerOf(event: AuditEvent): { user?: string; client?: string } {
  const client = event.agent.find((a) => a.who?.identifier?.value && !isRecipientAgent(a))?.who?.identifier?.value;
  const user = event.agent.find((a) => a.requestor && !isRecipientAgent(a) && (a.name ?? a.who?.display ?? a.who?.reference));
  const name = user && (user.who?.reference ?? user.name ?? user.who?.display);
  return { ...(name && name !== client ? { user: name } : {}), ...(client ? { client } : {}) };
}

/** The user and client as one line. */
function byOf(event: AuditEvent): string | undefined {
  const { user, client } = callerOf(event);
  if (user && client) return `${user} (client ${client})`;
  return user ?? (client ? `client ${client}` : undefined);
}

/**
 * A stored disclosure event as the accounting of `ids` (a patient and the records merged into it) sees it: the
 * description of the patient's own entity for a recorded disclosure, the interaction and types returned for the
 * server's (never another patient's ids), undefined when the event is not a disclosure of this record after all.
 */
export function disclosureOfEvent(event: AuditEvent, ids: readonly string[]): Disclosure | undefined {
  const patients = ids.map((id) => `Patient/${id}`);
  const date = disclosureDate(event);
  const recipientAgent = event.agent.find(isRecipientAgent);
  if (!date || !recipientAgent) return undefined;
  const own = (event.entity ?? []).filter((e) => patients.includes(e.what?.reference ?? ''));
  const recorded = event.meta?.tag?.some((t) => t.code === 'submitted') ?? false;
  const what = recorded
    ? own
        .map((e) => e.description)
        .filter(Boolean)
        .join('; ')
    : serverWhat(event);
  // To the individual: the caller (or a recorded recipient) is the patient or one of the merged records.
  const toIndividual = event.agent.some((a) => USER_REF.test(a.who?.reference ?? '') && patients.includes(a.who!.reference!));
  const purposes = purposesOf(event);
  return {
    date,
    recipient: recipientOf(recipientAgent),
    what,
    purposes: purposes.map(purposeCoding),
    by: byOf(event),
    source: `AuditEvent/${event.id}`,
    facts: { date, purposes, categories: categoriesOf(event), toIndividual },
  };
}
