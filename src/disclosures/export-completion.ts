import type { ExportCompletion } from '../bulk/export-kind';
import type { ExportDisclosures } from './export-records';

/**
 * A completed bulk export by a client registered as acting for a recipient outside the covered entity is a disclosure
 * of every patient it included (src/bulk/export-patients.ts): one record per patient in `export_disclosures`, with the
 * client, user, recipient and purpose of use as they were at kick-off (the job's owner), the types and the job. Other
 * exports are uses, and record nothing. Written before the job is marked completed, so an export that finished without
 * its records fails instead.
 */
export function recordExportDisclosures(records: () => ExportDisclosures): ExportCompletion {
  return async (job, patients) => {
    const { recipient, clientId, user, purposeOfUse } = job.owner;
    if (!recipient?.outsideCoveredEntity) return;
    const at = new Date();
    const ids = await patients();
    await records().write(
      ids.map((patient) => ({
        _id: `${job._id}/${patient}`,
        patient,
        at,
        job: job._id,
        ...(clientId ? { client: clientId } : {}),
        ...(user ? { user } : {}),
        recipient: { name: recipient.name, ...(recipient.address ? { address: recipient.address } : {}) },
        purposes: purposeOfUse ?? [],
        categories: recipient.category ? [recipient.category] : [],
        types: job.plan.types,
      })),
    );
  };
}
