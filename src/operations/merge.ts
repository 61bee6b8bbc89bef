import type { OperationDefinition } from 'fhir/r4';
import { unprocessable } from '../errors/operation-outcome-error';
import type { JobServices } from '../jobs';
import { fitsOneTransaction, mergeNow, prepareMerge, previewOf } from '../merge/merge';
import { startMergeJob } from '../merge/merge-job';
import { mergeOutput } from '../merge/output';
import { mergeRequest } from '../merge/parameters';
import type { MergeRules } from '../merge/rules';
import { parameter, type Operation } from './operation';

export const doc = (documentation: string) => ({ documentation });

/** Where both operations are invoked: `POST [base]/Patient/$<code>`, changing state. */
export const PATIENT_TYPE_WRITE: Pick<OperationDefinition, 'resource' | 'system' | 'type' | 'instance' | 'affectsState'> = {
  resource: ['Patient'],
  system: false,
  type: true,
  instance: false,
  affectsState: true,
};

/**
 * `POST [base]/Patient/$merge` (R5 OperationDefinition Patient-merge, offered on this R4 server): merges the source
 * patient's record into the target's (src/merge/): in one transaction when it fits (200), otherwise as a job (202,
 * with a Task, as R5 describes), or 422 when no job service is given. Business-rule refusals are 422, as R5 says.
 */
export const merge = (rules: MergeRules, jobs?: JobServices): Operation => ({
  definition: {
    resourceType: 'OperationDefinition',
    id: 'Patient-merge',
    url: 'http://hl7.org/fhir/OperationDefinition/Patient-merge',
    name: 'Merge',
    title: 'Patient Merge',
    status: 'active',
    kind: 'operation',
    code: 'merge',
    description:
      'Merges the source patient into the target: every resource referencing the source (in any element; AuditEvent and ' +
      'Provenance excepted) is rewritten to reference the target, the source becomes inactive with a replaced-by link, ' +
      "the target gets a replaces link and the source's identifiers (use old), and a Provenance records every version " +
      `written. Up to ${rules.maxTransactionResources} resources in one transaction (200); a larger record is merged by a job ` +
      '(202, Content-Location of its status, and a Task), during which writes touching either patient are refused (409). ' +
      'Needs read and update on Patient and on every type it changes, with no patient context. preview=true writes nothing.',
    ...PATIENT_TYPE_WRITE,
    parameter: [
      parameter('in', 'source-patient', 'Reference', doc('The patient merged away (Patient/<id>)')),
      parameter('in', 'source-patient-identifier', 'Identifier', {
        max: '*',
        ...doc('Identifiers that must all be on the source; alone, they must find exactly one Patient'),
      }),
      parameter('in', 'target-patient', 'Reference', doc('The surviving patient (Patient/<id>)')),
      parameter('in', 'target-patient-identifier', 'Identifier', {
        max: '*',
        ...doc('Identifiers that must all be on the target; alone, they must find exactly one Patient'),
      }),
      parameter('in', 'result-patient', 'Patient', doc('The target as it should be stored (same id; the replaces link is added if missing; no identifiers are copied)')),
      parameter('in', 'preview', 'boolean', doc('true: the same outcome and counts, nothing written')),
      parameter('out', 'input', 'Parameters', { min: 1, ...doc('The parameters as received') }),
      parameter('out', 'outcome', 'OperationOutcome', { min: 1, ...doc('What was moved, and the Provenance recording it') }),
      parameter('out', 'result', 'Patient', doc('The target Patient after the merge (in a preview, as it would be)')),
      parameter('out', 'task', 'Reference', doc('A merge too large for one transaction: the Task tracking its job')),
    ],
  },
  handler: async (ctx, req) => {
    const request = mergeRequest(req.body);
    const prepared = await prepareMerge(ctx, rules, request);
    if (request.preview) return { status: 200, body: mergeOutput(request.input, previewOf(prepared)) };
    if (fitsOneTransaction(prepared, rules)) return { status: 200, body: mergeOutput(request.input, await mergeNow(ctx, rules, prepared)) };
    if (!jobs)
      throw unprocessable(`The merge would change more than the ${rules.maxTransactionResources} resources one transaction may hold, and no job service runs here`);
    return startMergeJob(ctx, req, { rules, jobs, prepared, input: request.input });
  },
});
