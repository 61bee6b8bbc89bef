import type { ParametersParameter } from 'fhir/r4';
import { accessFilter, mayAccess } from '../jobs/access-context';
import type { JobServices } from '../jobs';
import { kindOf } from '../jobs/job';
import { jobStatusUrl } from './job-status';
import { parameter, type Operation } from './operation';

const LISTED = 100;

/**
 * `GET [base]/$jobs`: the caller's asynchronous jobs (exports, loads, audits, reviews, ...), newest first: kind,
 * status, kick-off request, when, items done, and the status URL that polls (X-Progress) and cancels it (DELETE).
 * Bound by the same rule as that status URL (src/jobs/access-context.ts mayAccess): protected mode sees every job,
 * a token the jobs its own access context started. The records console's operations page lists them.
 */
export function jobsList(deps: { jobs: JobServices }): Operation {
  return {
    definition: {
      resourceType: 'OperationDefinition',
      id: 'jobs',
      url: 'urn:fhirstone:OperationDefinition/jobs',
      name: 'Jobs',
      title: "The caller's asynchronous jobs",
      status: 'active',
      kind: 'operation',
      code: 'jobs',
      description:
        `The caller's asynchronous jobs of every kind, newest first (at most ${LISTED}): one \`job\` ` +
        'per job with id, kind, status, request, created, processed, error and status-url, its status URL (poll it for X-Progress, DELETE it to cancel).',
      system: true,
      type: false,
      instance: false,
      affectsState: false,
      parameter: [parameter('out', 'job', 'Element', { min: 0, max: '*', documentation: 'id, kind, status, request, created, processed, error, status-url' })],
    },
    handler: async (ctx) => {
      // The query selects the caller's jobs; mayAccess, the status route's own rule, still decides each one.
      const newest = await deps.jobs.store().newest(accessFilter(ctx.repo.policy), LISTED);
      const jobs = newest.filter((job) => mayAccess(job, ctx.repo.policy));
      const parameter = jobs.map((job): ParametersParameter => ({
        name: 'job',
        part: [
          { name: 'id', valueString: job._id },
          { name: 'kind', valueCode: kindOf(job) },
          { name: 'status', valueCode: job.status },
          { name: 'request', valueUri: job.request },
          { name: 'created', valueInstant: job.createdAt.toISOString() },
          { name: 'processed', valueInteger: job.processed ?? 0 },
          ...(job.error ? [{ name: 'error', valueString: job.error }] : []),
          { name: 'status-url', valueUri: jobStatusUrl(ctx.baseUrl, job) },
        ],
      }));
      return { status: 200, body: { resourceType: 'Parameters', parameter } };
    },
  };
}
