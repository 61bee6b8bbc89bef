import { unprocessable } from '../errors/operation-outcome-error';
import type { JobServices } from '../jobs';
import { unmergeOutput } from '../merge/output';
import { unmergeRequest } from '../merge/parameters';
import type { MergeRules } from '../merge/rules';
import { fitsOneUnmerge, prepareUnmerge, previewUnmerge, unmergeNow } from '../merge/unmerge';
import { startUnmergeJob } from '../merge/unmerge-job';
import { PATIENT_TYPE_WRITE, doc } from './merge';
import { parameter, type Operation } from './operation';

/**
 * `POST [base]/Patient/$unmerge` (defined here: no published operation undoes a merge): restores the state before a
 * merge of the source into the target, from the merge's Provenance (src/merge/unmerge.ts): in one transaction when
 * it fits (200), otherwise as a job (202, with a Task, as a large merge: src/merge/unmerge-job.ts).
 */
export const unmerge = (rules: MergeRules, jobs?: JobServices): Operation => ({
  definition: {
    resourceType: 'OperationDefinition',
    id: 'Patient-unmerge',
    url: 'urn:fhirstone:OperationDefinition/Patient-unmerge',
    name: 'Unmerge',
    title: 'Undo a patient merge',
    status: 'active',
    kind: 'operation',
    code: 'unmerge',
    description:
      'Undoes the merge of the source patient into the target, as its Provenance records it: the source active again ' +
      "without its replaced-by link, every moved resource's version before the merge restored as a new version, the " +
      "target's replaces link and copied identifiers removed. A moved resource changed since the merge is refused with " +
      `409 listing them, unless keep-changed-on-target=true leaves them on the target. Up to ${rules.maxTransactionResources} resources in one ` +
      'transaction (200); a larger one is undone by a job (202, Content-Location of its status, and a Task), during which writes touching either ' +
      'patient are refused (409). The same grants as Patient/$merge.',
    ...PATIENT_TYPE_WRITE,
    parameter: [
      parameter('in', 'source-patient', 'Reference', doc('The patient that was merged away, as given to the merge')),
      parameter('in', 'source-patient-identifier', 'Identifier', { max: '*', ...doc('Identifiers of the source, as for Patient/$merge') }),
      parameter('in', 'target-patient', 'Reference', doc('The patient it was merged into')),
      parameter('in', 'target-patient-identifier', 'Identifier', { max: '*', ...doc('Identifiers of the target, as for Patient/$merge') }),
      parameter('in', 'keep-changed-on-target', 'boolean', doc('true: moved resources changed since the merge stay on the target instead of a 409')),
      parameter('in', 'preview', 'boolean', doc('true: the same outcome and counts, nothing written')),
      parameter('out', 'outcome', 'OperationOutcome', { min: 1, ...doc('What was restored, and what stayed on the target') }),
      parameter('out', 'source', 'Patient', { min: 1, ...doc('The source Patient after the unmerge') }),
      parameter('out', 'target', 'Patient', { min: 1, ...doc('The target Patient after the unmerge') }),
    ],
  },
  handler: async (ctx, req) => {
    const request = unmergeRequest(req.body);
    const prepared = await prepareUnmerge(ctx, request);
    if (request.preview) return { status: 200, body: unmergeOutput(await previewUnmerge(ctx, prepared, request.keepChanged)) };
    if (fitsOneUnmerge(prepared, rules)) return { status: 200, body: unmergeOutput(await unmergeNow(ctx, prepared, request.keepChanged)) };
    if (!jobs)
      throw unprocessable(
        `The unmerge would change ${prepared.written.length} resources, more than the ${rules.maxTransactionResources} one transaction may hold, and no job service runs here`,
      );
    return startUnmergeJob(ctx, req, { rules, jobs, prepared, keepChanged: request.keepChanged });
  },
});
