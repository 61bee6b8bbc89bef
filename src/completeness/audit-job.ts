import type { Parameters } from 'fhir/r4';
import { simpleKind } from '../jobs';
import type { Completeness } from './completeness';
import { processed, runAudit, type AuditParams, type AuditState } from './audit';
import { RULE_SYSTEM } from './task';

export const AUDIT_KIND = 'completeness-audit';

/** The audit's report, the last line of its output: per rule, the foci evaluated and what happened to their Tasks. */
function report(state: AuditState): Parameters {
  return {
    resourceType: 'Parameters',
    parameter: Object.entries(state.counts).map(([rule, counts]) => ({
      name: 'rule',
      part: [{ name: 'code', valueCoding: { system: RULE_SYSTEM, code: rule } }, ...Object.entries(counts).map(([name, n]) => ({ name, valueInteger: n }))],
    })),
  };
}

/**
 * `$completeness-audit` as a job kind (src/jobs/simple-kind.ts): runs the audit under the kick-off caller's policy,
 * its output the Tasks it wrote or found open (NDJSON, type Task) and a Parameters report of the counts per rule.
 */
export function completenessAuditKind(c: Completeness) {
  return simpleKind<AuditParams, AuditState>({
    kind: AUDIT_KIND,
    async run(job, ctx) {
      const state = await runAudit(c, ctx.repo, job.plan.params, {
        signal: ctx.signal,
        state: ctx.state,
        write: (type, line) => ctx.write(type, line),
        checkpoint: (s, n) => ctx.checkpoint(s, n),
      });
      await ctx.write('Parameters', report(state));
      return processed(state);
    },
    progress: (job) => {
      const state = job.checkpoint.state;
      return `${state?.next ?? 0} of ${job.plan.params.rules.length} rules done, ${job.processed ?? 0} resources evaluated`;
    },
  });
}
