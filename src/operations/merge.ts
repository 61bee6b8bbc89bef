import type { OperationDefinition, OperationOutcomeIssue, Parameters } from 'fhir/r4';
import { issue, outcome } from '../errors/operation-outcome-error';
import { mergePatients, type MergeResult } from '../merge/merge';
import { mergeRequest, type MergeRequest } from '../merge/parameters';
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

/** `Type: n, Type: n` of the resources moved, largest first. */
export function countsText(counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const n = entries.reduce((a, [, c]) => a + c, 0);
  return `${n} resource${n === 1 ? '' : 's'}${entries.length ? ` (${entries.map(([t, c]) => `${t}: ${c}`).join(', ')})` : ''}`;
}

function mergeIssues(r: MergeResult): OperationOutcomeIssue[] {
  const info = (text: string) => issue('informational', text, undefined, 'information');
  if (r.preview) return [info(`Preview, nothing written: merging Patient/${r.sourceId} into Patient/${r.targetId} would move ${countsText(r.moved)} to the target`)];
  const issues = [info(`Patient/${r.sourceId} merged into Patient/${r.targetId}: ${countsText(r.moved)} moved to the target`)];
  issues.push(info(`Recorded by ${r.provenance.map((p) => `Provenance/${p}`).join(', ')}: what Patient/$unmerge undoes`));
  if (r.swept) issues.push(info(`${r.swept} of them were written by a concurrent request while the merge ran and were moved after it`));
  return issues;
}

/** R5 output: `input` (the parameters as received), `outcome`, `result` (the target Patient after the merge). */
function mergeOutput(req: MergeRequest, r: MergeResult): Parameters {
  return {
    resourceType: 'Parameters',
    parameter: [
      { name: 'input', resource: req.input },
      { name: 'outcome', resource: outcome(mergeIssues(r)) },
      { name: 'result', resource: r.target },
    ],
  };
}

/**
 * `POST [base]/Patient/$merge` (R5 OperationDefinition Patient-merge, offered on this R4 server): merges the source
 * patient's record into the target's (src/merge/merge.ts). Business-rule refusals are 422, as R5 says.
 */
export const merge = (rules: MergeRules): Operation => ({
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
      `written. One transaction of at most ${rules.maxTransactionResources} resources. Needs read and update on Patient and on ` +
      'every type it changes, with no patient context. preview=true writes nothing.',
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
    ],
  },
  handler: async (ctx, req) => {
    const request = mergeRequest(req.body);
    return { status: 200, body: mergeOutput(request, await mergePatients(ctx, rules, request)) };
  },
});
