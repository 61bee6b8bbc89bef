import type { OperationOutcomeIssue } from 'fhir/r4';
import { issue, outcome } from '../errors/operation-outcome-error';
import { unmergeRequest } from '../merge/parameters';
import type { MergeRules } from '../merge/rules';
import { unmergePatients, type UnmergeResult } from '../merge/unmerge';
import { countsText } from '../merge/output';
import { PATIENT_TYPE_WRITE, doc } from './merge';
import { parameter, type Operation } from './operation';

function unmergeIssues(r: UnmergeResult): OperationOutcomeIssue[] {
  const info = (text: string) => issue('informational', text, undefined, 'information');
  const source = `Patient/${r.source.id}`;
  const issues = [info(`${r.preview ? 'Preview, nothing written: unmerging would restore' : 'Unmerged: restored'} ${source} and ${countsText(r.restored)} to it`)];
  if (r.kept.length) issues.push(info(`Changed after the merge, ${r.preview ? 'would stay' : 'left'} on Patient/${r.target.id}: ${r.kept.join(', ')}`));
  if (r.provenance) issues.push(info(`Recorded by Provenance/${r.provenance}`));
  return issues;
}

/**
 * `POST [base]/Patient/$unmerge` (defined here: no published operation undoes a merge): restores the state before a
 * merge of the source into the target, from the merge's Provenance (src/merge/unmerge.ts).
 */
export const unmerge = (rules: MergeRules): Operation => ({
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
      `409 listing them, unless keep-changed-on-target=true leaves them on the target. One transaction of at most ${rules.maxTransactionResources} ` +
      'resources; the same grants as Patient/$merge.',
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
    const r = await unmergePatients(ctx, rules, unmergeRequest(req.body));
    return {
      status: 200,
      body: {
        resourceType: 'Parameters',
        parameter: [
          { name: 'outcome', resource: outcome(unmergeIssues(r)) },
          { name: 'source', resource: r.source },
          { name: 'target', resource: r.target },
        ],
      },
    };
  },
});
