import { badRequest } from '../errors/operation-outcome-error';
import type { JobServices } from '../jobs';
import type { Matcher } from '../matching';
import { FIND_DUPLICATES, type FindDuplicatesParams } from '../matching/find-duplicates-kind';
import { parameter, type Operation } from './operation';
import { operationInput, singleValue } from './parameters';

/** A decimal score in 0..1, as FHIR writes decimals. */
function thresholdOf(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = /^(0|1)(\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!(n >= 0 && n <= 1)) throw badRequest(`threshold must be a decimal score from 0 to 1, got "${text}"`, 'threshold');
  return n;
}

/**
 * `POST [base]/Patient/$find-duplicates` (fhirstone's own): starts a job, as `$export` does (202 and a
 * Content-Location to poll, a manifest of NDJSON files, DELETE cancels), that compares every pair of Patients the
 * caller may read sharing a blocking key, and writes each pair scoring at least `threshold` (default: the
 * configuration's `possible` grade) as a Parameters line: patient, candidate, score, grade, agrees, differs.
 */
export const findDuplicates = (matcher: Matcher, jobs: JobServices): Operation => ({
  definition: {
    resourceType: 'OperationDefinition',
    id: 'Patient-find-duplicates',
    url: 'urn:fhirstone:OperationDefinition/Patient-find-duplicates',
    name: 'FindDuplicates',
    title: 'Find duplicate Patient records across the store',
    status: 'active',
    kind: 'operation',
    code: 'find-duplicates',
    description:
      'Starts an asynchronous job (202, Content-Location [base]/$job-status/{id}) comparing every pair of Patients the caller may read that share a ' +
      'blocking key; the manifest lists NDJSON files of Parameters, one per pair scoring at least threshold: patient and candidate (Reference), ' +
      'score (decimal), grade (code: certain, probable, possible, certainly-not), agrees and differs (the fields compared).',
    resource: ['Patient'],
    system: false,
    type: true,
    instance: false,
    affectsState: true,
    parameter: [parameter('in', 'threshold', 'decimal', { documentation: `Lowest score written, 0 to 1 (default ${matcher.config.grades.possible})` })],
  },
  handler: async (ctx, req) => {
    ctx.repo.assertAllowed('Patient', 'search');
    const input = operationInput(req, 'find-duplicates');
    const unknown = input.find(([name]) => name !== 'threshold' && !name.startsWith('_'));
    if (unknown) throw badRequest(`Patient/$find-duplicates has no parameter "${unknown[0]}" (threshold)`, unknown[0]);
    const threshold = thresholdOf(singleValue(input, 'threshold'), matcher.config.grades.possible);
    const params: FindDuplicatesParams = { threshold, total: await ctx.repo.count('Patient', {}) };
    return jobs.startJob(ctx, req, FIND_DUPLICATES, params);
  },
});
