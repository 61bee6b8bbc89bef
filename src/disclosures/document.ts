import { randomUUID } from 'node:crypto';
import type { AuditEvent, AuditEventEntity, Bundle, BundleEntry, Composition, Resource } from 'fhir/r4';
import { DISCLOSE_SUBTYPE, recipientAgent } from '../audit/disclosure-shape';
import type { AccountedDisclosure, Accounting } from './accounting';
import { categoryCoding } from './rules';

/** The code system of the documents this layer produces and logs. */
export const DOCUMENT_SYSTEM = 'http://fhirstone.org/fhir/CodeSystem/disclosure-accounting';
export const ACCOUNTING_TYPE = { system: DOCUMENT_SYSTEM, code: 'accounting', display: 'Accounting of disclosures' };
const EXPORT_EVENT = { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110106', display: 'Export' };
const URI = 'urn:ietf:rfc:3986';

export interface DocumentContext {
  baseUrl: string;
  /** Who prepared it: this server's name. */
  author: string;
}

const entry = (resource: Resource): BundleEntry & { fullUrl: string } => ({ fullUrl: `urn:uuid:${randomUUID()}`, resource });

/** One disclosure as an AuditEvent of the document: this patient's entity only, nothing of anyone else. */
function disclosureEvent(d: AccountedDisclosure, patient: string, ctx: DocumentContext): AuditEvent {
  const at = d.date.toISOString();
  const source: AuditEventEntity = d.source.startsWith('AuditEvent/')
    ? { what: { reference: `${ctx.baseUrl}/${d.source}` }, description: 'the AuditEvent that records this disclosure' }
    : { what: { identifier: { system: URI, value: `${ctx.baseUrl}/${d.source}` } }, description: 'the bulk data export job that made this disclosure' };
  return {
    resourceType: 'AuditEvent',
    type: EXPORT_EVENT,
    subtype: [DISCLOSE_SUBTYPE],
    action: 'R',
    period: { start: at },
    recorded: at,
    purposeOfEvent: [...d.purposes.map((p) => ({ coding: [p] })), { coding: [categoryCoding(d.category)] }],
    agent: [recipientAgent({ ...d.recipient, outsideCoveredEntity: true }), ...(d.by ? [{ who: { display: d.by }, requestor: true }] : [])],
    source: { observer: { display: ctx.author } },
    entity: [{ what: { reference: `${ctx.baseUrl}/Patient/${patient}` }, description: d.what }, source],
  };
}

/**
 * The accounting as a FHIR document: a Bundle of type document whose first entry is a Composition (subject the
 * patient, the period as its event, one section listing the disclosures), then one AuditEvent per disclosure.
 */
export function accountingDocument(a: Accounting, ctx: DocumentContext): Bundle {
  const events = a.disclosures.map((d) => entry(disclosureEvent(d, a.patient, ctx)));
  const period = { start: a.period.start.toISOString(), end: a.period.end.toISOString() };
  const composition: Composition = {
    resourceType: 'Composition',
    status: 'final',
    type: { coding: [ACCOUNTING_TYPE], text: 'Accounting of disclosures (45 CFR 164.528)' },
    subject: { reference: `${ctx.baseUrl}/Patient/${a.patient}` },
    date: a.generated.toISOString(),
    author: [{ display: ctx.author }],
    title: 'Accounting of disclosures',
    event: [{ period }],
    section: [
      {
        title: 'Disclosures',
        ...(events.length
          ? { entry: events.map((e) => ({ reference: e.fullUrl })) }
          : { emptyReason: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/list-empty-reason', code: 'nilknown', display: 'Nil Known' }] } }),
      },
    ],
  };
  const id = randomUUID();
  return {
    resourceType: 'Bundle',
    identifier: { system: URI, value: `urn:uuid:${id}` },
    type: 'document',
    timestamp: a.generated.toISOString(),
    entry: [entry(composition), ...events],
  };
}
