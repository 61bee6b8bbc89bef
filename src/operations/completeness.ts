import type { Bundle } from 'fhir/r4';
import type { Completeness } from '../completeness';
import { isDeficient } from '../completeness/evaluate';
import { storedTasks } from '../completeness/task-store';
import { assertCompleteView } from '../completeness/rules';
import { deficiencyTask, taskId } from '../completeness/task';
import { parameter, type Operation } from './operation';

/**
 * `Encounter/[id]/$completeness`: the deficiencies of one encounter now, evaluated synchronously by every rule
 * that concerns it (the encounter's own, and those of the documents that name it), as a `collection` Bundle of the
 * Tasks an audit would record (same ids; a stored Task's status and notes kept). Nothing is stored. Bounded by the
 * caller's policy: the encounter must be readable (404 otherwise, as any hidden resource), and the types the
 * rules read searchable (403).
 */
export function encounterCompleteness(c: Completeness): Operation {
  return {
    definition: {
      resourceType: 'OperationDefinition',
      id: 'Encounter-completeness',
      url: 'urn:fhirstone:OperationDefinition/Encounter-completeness',
      name: 'EncounterCompleteness',
      title: 'Current deficiencies of an encounter',
      status: 'active',
      kind: 'operation',
      code: 'completeness',
      description:
        'Evaluates the chart completeness rules that concern the encounter and returns its current deficiencies as a collection Bundle of ' +
        'Tasks (Task.code: the rule; businessStatus: deficient or delinquent; restriction.period.end: the deadline).',
      resource: ['Encounter'],
      system: false,
      type: false,
      instance: true,
      affectsState: false,
      parameter: [parameter('out', 'return', 'Bundle', { min: 1, documentation: 'A collection Bundle of Tasks, one per deficiency' })],
    },
    handler: async (ctx, _req, target) => {
      const encounter = JSON.parse((await ctx.repo.read('Encounter', target.id as string)).r);
      const rules = c.encounterRules();
      assertCompleteView(ctx.repo.policy, rules);
      const now = new Date();
      const deficient = (await c.ofEncounter(ctx.repo, encounter)).filter(isDeficient);
      const ids = deficient.map((e) => taskId(e.rule.id, `${e.focus.resourceType}/${e.focus.id}`));
      const stored = ctx.repo.maySearch('Task') ? await storedTasks(ctx.repo, ids) : new Map();
      const bundle: Bundle = {
        resourceType: 'Bundle',
        type: 'collection',
        timestamp: now.toISOString(),
        entry: deficient.map((e, i) => ({ fullUrl: `${ctx.baseUrl}/Task/${ids[i]}`, resource: deficiencyTask(e, stored.get(ids[i]), now) })),
      };
      return { status: 200, body: bundle };
    },
  };
}
