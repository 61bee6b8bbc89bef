import type { OperationOutcomeIssue, Parameters } from 'fhir/r4';
import { issue, outcome } from '../errors/operation-outcome-error';
import type { MergeResult } from './merge';
import type { UnmergeResult } from './unmerge';

/** `n resources (Type: n, Type: n)` of the resources moved, largest first. */
export function countsText(counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const n = entries.reduce((a, [, c]) => a + c, 0);
  return `${n} resource${n === 1 ? '' : 's'}${entries.length ? ` (${entries.map(([t, c]) => `${t}: ${c}`).join(', ')})` : ''}`;
}

export const information = (text: string): OperationOutcomeIssue => issue('informational', text, undefined, 'information');

function mergeIssues(r: MergeResult): OperationOutcomeIssue[] {
  if (r.preview)
    return [information(`Preview, nothing written: merging Patient/${r.sourceId} into Patient/${r.targetId} would move ${countsText(r.moved)} to the target`)];
  const issues = [information(`Patient/${r.sourceId} merged into Patient/${r.targetId}: ${countsText(r.moved)} moved to the target`)];
  issues.push(information(`Recorded by ${r.provenance.map((p) => `Provenance/${p}`).join(', ')}: what Patient/$unmerge undoes`));
  if (r.swept) issues.push(information(`${r.swept} of them were written by a concurrent request while the merge ran and were moved after it`));
  return issues;
}

/**
 * The R5 output of Patient/$merge: `input` (the parameters as received), `outcome`, `result` (the target Patient
 * after the merge); the answer of a merge in one transaction, and the last line of a merge job's output.
 */
export function mergeOutput(input: Parameters, r: MergeResult): Parameters {
  return {
    resourceType: 'Parameters',
    parameter: [
      { name: 'input', resource: input },
      { name: 'outcome', resource: outcome(mergeIssues(r)) },
      { name: 'result', resource: r.target },
    ],
  };
}

function unmergeIssues(r: UnmergeResult): OperationOutcomeIssue[] {
  const source = `Patient/${r.source.id}`;
  const issues = [information(`${r.preview ? 'Preview, nothing written: unmerging would restore' : 'Unmerged: restored'} ${source} and ${countsText(r.restored)} to it`)];
  if (r.kept.length) issues.push(information(`Changed after the merge, ${r.preview ? 'would stay' : 'left'} on Patient/${r.target.id}: ${r.kept.join(', ')}`));
  if (r.provenance) issues.push(information(`Recorded by Provenance/${r.provenance}`));
  return issues;
}

/** The output of Patient/$unmerge: `outcome`, the `source` and `target` Patients after it; also an unmerge job's output line. */
export function unmergeOutput(r: UnmergeResult): Parameters {
  return {
    resourceType: 'Parameters',
    parameter: [
      { name: 'outcome', resource: outcome(unmergeIssues(r)) },
      { name: 'source', resource: r.source },
      { name: 'target', resource: r.target },
    ],
  };
}
