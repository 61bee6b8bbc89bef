import type { MovedRecordCheck } from '../everything/moved-record';
import { OperationOutcomeError, issue } from '../errors/operation-outcome-error';
import { referencedPatientId } from '../search/patient-references';
import { replacedBy } from './patients';

/**
 * `Patient/[id]/$everything` on a patient merged away: 410 naming where its record went (its `replaced-by` link;
 * along a chain of merges, that patient's own $everything names the next), instead of a record that now holds
 * nothing but the inactive Patient.
 */
export const mergedRecord: MovedRecordCheck = (patient) => {
  const link = replacedBy(patient);
  if (!link) return undefined;
  const id = referencedPatientId(link);
  const where = id ? `Patient/${id}/$everything` : link;
  return new OperationOutcomeError('gone', [issue('not-found', `Patient/${patient.id} was merged into ${link}: its record is now at ${where}`)]);
};
