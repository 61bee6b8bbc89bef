import type { Address } from 'fhir/r4';
import type { AnyBulkWriteOperation, Collection, Db } from 'mongodb';
import { purposeCoding } from '../auth/purpose-of-use';
import type { Period } from '../store/audit-collection';
import type { Disclosure } from './disclosure';

/**
 * A bulk export that included a patient, made by a client acting for a recipient outside the covered entity: one
 * record per patient, written when the export completes, kept in its own collection (never removed by the server:
 * the six years of 164.528 and more), independent of the job's expiry and of the export files.
 */
export interface ExportDisclosureRecord {
  /** `<job>/<patient>`: writing a job's records again (a resumed completion) changes nothing. */
  _id: string;
  patient: string;
  /** When the export completed. */
  at: Date;
  job: string;
  client?: string;
  user?: string;
  recipient: { name: string; address?: Address };
  /** The client's purpose of use (v3 PurposeOfUse codes) and registered disclosure category. */
  purposes: string[];
  categories: string[];
  /** The resource types the export wrote. */
  types: string[];
}

export const EXPORT_DISCLOSURES_COLLECTION = 'export_disclosures';

export class ExportDisclosures {
  private readonly records: Collection<ExportDisclosureRecord>;

  constructor(db: Db) {
    this.records = db.collection<ExportDisclosureRecord>(EXPORT_DISCLOSURES_COLLECTION);
  }

  async init(): Promise<void> {
    await this.records.createIndexes([{ key: { patient: 1, at: 1 }, name: 'patient_time' }]);
  }

  /** Stores the records (upserted by id, so a completion run twice writes each once), in batches of 1,000. */
  async write(records: readonly ExportDisclosureRecord[]): Promise<void> {
    for (let i = 0; i < records.length; i += 1000) {
      const ops: AnyBulkWriteOperation<ExportDisclosureRecord>[] = records
        .slice(i, i + 1000)
        .map((r) => ({ replaceOne: { filter: { _id: r._id }, replacement: r, upsert: true } }));
      await this.records.bulkWrite(ops, { ordered: false });
    }
  }

  /** The records of any of `ids` made within `period`. */
  inPeriod(ids: readonly string[], period: Period): Promise<ExportDisclosureRecord[]> {
    return this.records.find({ patient: { $in: [...ids] }, at: { $gte: period.start, $lte: period.end } }).toArray();
  }
}

/** A record as one of the accounting's disclosures. */
export function disclosureOfRecord(r: ExportDisclosureRecord): Disclosure {
  const by = r.user ? `${r.user} (client ${r.client})` : r.client ? `client ${r.client}` : undefined;
  return {
    date: r.at,
    recipient: r.recipient,
    what: `bulk data export ($export) of ${r.types.join(', ') || 'the record'}`,
    purposes: r.purposes.map(purposeCoding),
    ...(by ? { by } : {}),
    source: `export-job/${r.job}`,
    // To the individual: the patient's own login exported its record through an app outside the covered entity.
    facts: { date: r.at, purposes: r.purposes, categories: r.categories, toIndividual: r.user === `Patient/${r.patient}` },
  };
}
