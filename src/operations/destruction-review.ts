import { badRequest } from '../errors/operation-outcome-error';
import { assertMayReview } from '../destruction/authority';
import { REVIEW_KIND } from '../destruction/review-kind';
import type { JobServices } from '../jobs';
import { parameter, type Operation } from './operation';
import { operationInput, singleValue } from './parameters';

const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

/**
 * `POST [base]/$destruction-review` (`date`): starts the review of the records eligible for destruction on that date
 * (src/destruction/review-kind.ts); 202 with the job's status URL, whose result lists them as NDJSON. Needs read
 * and search on every stored type without a patient bound or search restriction.
 */
export function destructionReview(deps: { jobs: JobServices; types: () => string[] }): Operation {
  return {
    definition: {
      resourceType: 'OperationDefinition',
      id: 'destruction-review',
      url: 'urn:fhirstone:OperationDefinition/destruction-review',
      name: 'DestructionReview',
      title: 'Review the records eligible for destruction',
      status: 'active',
      kind: 'operation',
      code: 'destruction-review',
      description:
        'Asynchronous: lists, one NDJSON Parameters line per record, the patients whose records the retention rules make ' +
        'eligible for destruction on `date` (rule, trigger date, destroy-after, resources per type), leaving out held records ' +
        '(named in the error file). Approve the list with $destruction-approve.',
      system: true,
      type: false,
      instance: false,
      affectsState: true,
      parameter: [parameter('in', 'date', 'date', { min: 1, documentation: 'The date the records must be eligible on (YYYY-MM-DD)' })],
    },
    handler: async (ctx, req) => {
      const date = singleValue(operationInput(req, 'destruction-review'), 'date');
      if (!date || !DATE.test(date)) throw badRequest('date is required, as YYYY-MM-DD', 'date');
      assertMayReview(ctx.repo.policy, deps.types());
      return deps.jobs.startJob(ctx, req, REVIEW_KIND, { date });
    },
  };
}
