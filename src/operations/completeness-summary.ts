import type { Completeness } from '../completeness';
import { summary } from '../completeness';
import { AccessTrace } from '../store/access-trace';
import { parameter, type Operation } from './operation';

const out = (name: string, type: Parameters<typeof parameter>[2], documentation: string, max = '1') => parameter('out', name, type, { min: 0, max, documentation });

/**
 * `$completeness-summary`: counts of the open deficiency Tasks the caller may search (a patient-bound token: its
 * own patient's), by rule, by owner and by age. README.md, "Chart completeness", shows the answer.
 */
export function completenessSummary(c: Completeness): Operation {
  return {
    definition: {
      resourceType: 'OperationDefinition',
      id: 'completeness-summary',
      url: 'urn:fhirstone:OperationDefinition/completeness-summary',
      name: 'CompletenessSummary',
      title: 'Counts of open chart deficiencies',
      status: 'active',
      kind: 'operation',
      code: 'completeness-summary',
      description:
        'Counts the open deficiency Tasks (Task.code in the deficiency-rule code system, status not final) by rule, by owner and by age in days ' +
        'since the deficiency began (0-7, 8-14, 15-30, over-30); each count split into deficient and delinquent (past its deadline now).',
      system: true,
      type: false,
      instance: false,
      affectsState: false,
      parameter: [
        out('asOf', 'instant', 'When the counts were taken'),
        out('open', 'integer', 'Open deficiencies'),
        out('deficient', 'integer', 'Open and before their deadline'),
        out('delinquent', 'integer', 'Open and past their deadline'),
        out('rule', 'Element', 'Per rule: code (Coding), open, deficient, delinquent', '*'),
        out('owner', 'Element', 'Per owner: owner (Reference) or unassigned, open, deficient, delinquent', '*'),
        out('age', 'Element', 'Per age band: days (0-7, 8-14, 15-30, over-30), open, deficient, delinquent', '*'),
      ],
    },
    handler: async (ctx, req) => {
      ctx.repo.assertAllowed('Task', 'search');
      // Counts name no patient: the AuditEvent names the caller's own patient (a patient-bound token), not every
      // patient whose Task was counted.
      const repo = ctx.repo.as(ctx.repo.policy, new AccessTrace());
      for (const id of ctx.repo.policy.patientIds ?? []) req.trace?.add('Patient', id, undefined);
      return { status: 200, body: await summary(repo, c.search) };
    },
  };
}
