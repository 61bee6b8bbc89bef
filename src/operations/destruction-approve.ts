import { randomUUID } from 'node:crypto';
import { assertMayApprove, identityOf } from '../destruction/authority';
import { DESTRUCTION_KIND, type DestructionParams } from '../destruction/destroy-kind';
import { newSalt } from '../destruction/identity-hash';
import { REVIEW_KIND, type ReviewParams } from '../destruction/review-kind';
import { badRequest, conflict, notFound } from '../errors/operation-outcome-error';
import type { JobServices } from '../jobs';
import type { Job } from '../jobs/job';
import type { GrantedPlan } from '../jobs/simple-kind';
import { jobStatusUrl } from './job-status';
import { parameter, type Operation } from './operation';
import { operationInput, singleValue } from './parameters';

/** Reviews approved, one document each, so that no review is carried out twice. */
export const APPROVALS_COLLECTION = 'destruction_approvals';

/** A review's files are kept while its destruction runs (it reads them); the destruction lets them go at its end. */
const KEPT_WHILE_APPROVED_MS = 100 * 365 * 24 * 3_600_000;

/**
 * `POST [base]/$destruction-approve` (`review`: the review's status URL): starts the destruction of the records a
 * completed review listed. The two-person rule: the approver is an authorised user other than the one who requested
 * the review (src/destruction/authority.ts). A review is approved once.
 */
export function destructionApprove(deps: { jobs: JobServices; types: () => string[] }): Operation {
  return {
    definition: {
      resourceType: 'OperationDefinition',
      id: 'destruction-approve',
      url: 'urn:fhirstone:OperationDefinition/destruction-approve',
      name: 'DestructionApprove',
      title: 'Approve and carry out the destruction of reviewed records',
      status: 'active',
      kind: 'operation',
      code: 'destruction-approve',
      description:
        'Asynchronous: destroys the records a completed $destruction-review listed, in batches that resume after a crash, then ' +
        'stores a certificate of destruction (DocumentReference with a PDF and a JSON attachment). A record placed on hold, ' +
        'changed since the review, or no longer eligible drops out. Needs a user other than the review’s requester, with read, ' +
        'search, update and delete on every stored type (no patient bound, no search restriction); refused in protected mode.',
      system: true,
      type: false,
      instance: false,
      affectsState: true,
      parameter: [parameter('in', 'review', 'uri', { min: 1, documentation: 'The status URL of the completed review ($job-status/{id})' })],
    },
    handler: async (ctx, req) => {
      const url = singleValue(operationInput(req, 'destruction-approve'), 'review');
      const id = url && /(?:^|\/)\$job-status\/([A-Za-z0-9-]{1,64})$/.exec(url)?.[1];
      if (!id) throw badRequest('review is required: the status URL of a $destruction-review job', 'review');
      const jobs = deps.jobs.store();
      const review = await jobs.get<Job<GrantedPlan<ReviewParams>>>(id);
      if (!review || review.kind !== REVIEW_KIND || review.status === 'cancelled') throw notFound(`No destruction review ${id} (it may have expired)`);
      const approver = assertMayApprove(ctx.repo.policy, deps.types(), review.owner);
      if (review.status !== 'completed') throw conflict(`The review ${id} has not completed (${review.status})`);
      const approvals = ctx.repo.db.collection<{ _id: string; approver: string; at: Date; nonce: string; job?: string }>(APPROVALS_COLLECTION);
      const at = new Date();
      const nonce = randomUUID();
      const claimed = await approvals.updateOne({ _id: id }, { $setOnInsert: { approver, at, nonce } }, { upsert: true });
      if (claimed.upsertedCount !== 1) throw conflict(`The review ${id} was approved already`);
      await jobs.jobs.updateOne({ _id: id }, { $set: { expiresAt: new Date(at.getTime() + KEPT_WHILE_APPROVED_MS) } });
      const params: DestructionParams = {
        review: id,
        reviewUrl: jobStatusUrl(ctx.baseUrl, review),
        reviewDate: review.plan.params.date,
        reviewedAt: review.createdAt.toISOString(),
        requester: identityOf(review.owner)!,
        approver,
        approvedAt: at.toISOString(),
        salt: newSalt(),
      };
      const result = await deps.jobs.startJob(ctx, req, DESTRUCTION_KIND, params).catch(async (err: unknown) => {
        await approvals.deleteOne({ _id: id, nonce });
        throw err;
      });
      await approvals.updateOne({ _id: id }, { $set: { job: result.headers?.['Content-Location'] } });
      return result;
    },
  };
}
