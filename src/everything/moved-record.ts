import type { Patient } from 'fhir/r4';
import type { OperationOutcomeError } from '../errors/operation-outcome-error';

/**
 * Where a patient's record went, for `Patient/[id]/$everything` on a patient merged into another (issue 19's
 * merge): given the Patient as stored, the error to answer with instead of its record (naming the patient it was
 * merged into, e.g. from a `replaced-by` link), or undefined to walk the record as usual. The merge layer supplies
 * its own through `patientEverything({ movedRecord })` in src/services.ts; until then no record has moved.
 */
export type MovedRecordCheck = (patient: Patient) => OperationOutcomeError | undefined;

export const noRecordMoved: MovedRecordCheck = () => undefined;
