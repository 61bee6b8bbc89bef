import readline from 'node:readline';
import type { Parameters } from 'fhir/r4';
import type { JobFileStore } from '../jobs/file-store';
import type { JobFile } from '../jobs/job';
import { reviewedPatient } from './review-kind';

/** Where a destruction is in its review's list: the file, and the lines of it already taken. */
export interface ReviewPosition {
  file: number;
  line: number;
}

/** The reviewed patients from `from` on, in the review's order, each with the position after it. */
export async function* reviewedPatients(
  files: JobFileStore,
  reviewId: string,
  outputs: readonly JobFile[],
  from: ReviewPosition,
): AsyncGenerator<{ patient: string; next: ReviewPosition }> {
  for (let f = from.file; f < outputs.length; f++) {
    const stored = await files.open(reviewId, outputs[f].name);
    if (!stored) throw new Error(`the review's file ${outputs[f].name} is gone`);
    let line = 0;
    for await (const text of readline.createInterface({ input: stored.read(), crlfDelay: Infinity })) {
      line++;
      if (f === from.file && line <= from.line) continue;
      const patient = text.trim() ? reviewedPatient(JSON.parse(text) as Parameters) : undefined;
      if (patient) yield { patient, next: { file: f, line } };
    }
  }
}
