import type { AuditEvent } from 'fhir/r4';
import { type Period, disclosuresOf } from '../store/audit-collection';
import { type Disclosure, disclosureOfEvent } from './disclosure';
import { type ExportDisclosures, disclosureOfRecord } from './export-records';
import type { PatientRecord } from './record-access';
import { type AccountingRules, decide } from './rules';
import { type SuspensionStore, suspended } from './suspensions';

/** What an accounting is made from: the rules, and the two stores beside the audit trail. */
export interface AccountingSources {
  rules: AccountingRules;
  suspensions: SuspensionStore;
  exports: ExportDisclosures;
}

/** One listed disclosure, with the category the rules put it in. */
export type AccountedDisclosure = Disclosure & { category: string };

/** The accounting of one patient's record for one period (164.528(b)), as delivered. */
export interface Accounting {
  patient: string;
  /** The patient's id and those of the records merged into it. */
  ids: string[];
  period: Period;
  generated: Date;
  disclosures: AccountedDisclosure[];
}

/**
 * The disclosures of `record` made within `period` that the rules list, oldest first: from the AuditEvents recording
 * disclosures (found by their key in the `disclosures` index, through the record's repository) and from bulk
 * exports' records, less those a suspension in force at `now` leaves out.
 */
export async function account(sources: AccountingSources, record: PatientRecord, period: Period, now: Date): Promise<Accounting> {
  const found: Disclosure[] = [];
  const filter = disclosuresOf(
    record.ids.map((id) => `Patient/${id}`),
    period,
  );
  for await (const doc of record.events.find('AuditEvent', filter, { projection: { r: 1 } })) {
    const d = disclosureOfEvent(JSON.parse(doc.r) as AuditEvent, record.ids);
    if (d) found.push(d);
  }
  for (const r of await sources.exports.inPeriod(record.ids, period)) found.push(disclosureOfRecord(r));
  const suspensions = await sources.suspensions.ofRecord(record.ids);
  const disclosures: AccountedDisclosure[] = [];
  for (const d of found) {
    const decision = decide(sources.rules, d.facts);
    if (decision.accountable && !suspended(d, suspensions, now)) disclosures.push({ ...d, category: decision.category });
  }
  disclosures.sort((a, b) => a.date.getTime() - b.date.getTime() || a.source.localeCompare(b.source));
  return { patient: record.id, ids: record.ids, period, generated: now, disclosures };
}
