import type { Resource, Task } from 'fhir/r4';
import type { Repository } from '../store/repository';
import type { WriteEvent, WriteHook } from '../store/write-hooks';
import type { Completeness } from './completeness';
import { evaluate, inScope } from './evaluate';
import { record } from './record';
import type { Rule } from './rules';
import { taskId } from './task';
import { carryTaskFlag, deficiencyFoci, flagTaskFoci, ownTasksFlag } from './task-guard';

/**
 * The deficiencies a write may fix (or bring back): for each rule, the foci the written resource is or names,
 * in its new version and in the one it replaces (a document moved to another encounter, or deleted).
 */
function affected(c: Completeness, e: WriteEvent): Array<{ rule: Rule; focus: string }> {
  const versions: Resource[] = [];
  if (e.resource) versions.push(e.resource);
  if (e.previous && !e.previous.del) versions.push(JSON.parse(e.previous.r) as Resource);
  const out: Array<{ rule: Rule; focus: string }> = [];
  for (const rule of c.rules) {
    // A resource created under an id the server just made has no Task yet: the audit makes them for stored ones.
    if (rule.scope.type === e.type && !e.fresh) out.push({ rule, focus: `${e.type}/${e.id}` });
    const condition = rule.condition;
    if (condition.kind !== 'related' || condition.type !== e.type) continue;
    const foci = new Set(versions.flatMap((v) => c.search.references(v, condition.reference)));
    for (const focus of foci) if (focus.startsWith(`${rule.scope.type}/`)) out.push({ rule, focus });
  }
  return out;
}

/**
 * The write hook that keeps deficiency Tasks in step with the chart: after any write of a resource a rule reads,
 * the Tasks that already exist for the foci it concerns are evaluated again in the same transaction, so the
 * discharge summary that arrives completes its Task as it is stored. New deficiencies are found by the audit,
 * not here. The Tasks of the written resource itself are looked up only when its record guards' `tasks` flag says
 * one may exist (task-guard.ts; nearly never); those of the foci it names (the encounter a document names) always,
 * since nothing proves the focus is in the record whose guard this write read. A client's (or an import's) write
 * creating a deficiency Task sets the flag for its focus.
 */
export function completenessHook(c: Completeness): WriteHook {
  const types = new Set(c.rules.flatMap((r) => (r.condition.kind === 'related' ? [r.scope.type, r.condition.type] : [r.scope.type])));
  const scopeTypes = new Set(c.rules.map((r) => r.scope.type));
  return {
    name: 'completeness',
    writes: ['Task'],
    async after(repo: Repository, e: WriteEvent) {
      if (e.type === 'Task' && e.resource && (!e.previous || e.previous.del)) {
        const foci = deficiencyFoci(e.id, e.resource as Task);
        if (foci.length) await flagTaskFoci(repo.privileged(), foci);
      }
      if (!types.has(e.type)) return;
      const own = `${e.type}/${e.id}`;
      let pairs = affected(c, e);
      const flagged = scopeTypes.has(e.type) && !e.fresh ? await ownTasksFlag(repo, e) : undefined;
      if (flagged === false) pairs = pairs.filter((p) => p.focus !== own);
      const existing = new Set<string>();
      // The server's bookkeeping: every resource the rules read, whoever wrote this one; no trace of it in the
      // caller's AuditEvent.
      const server = repo.privileged();
      if (pairs.length) {
        await server.flush('Task');
        const ids = pairs.map((p) => taskId(p.rule.id, p.focus));
        for await (const doc of server.find('Task', { _id: { $in: ids } }, { projection: { _id: 1 } })) existing.add(doc._id);
      }
      if (scopeTypes.has(e.type) && !e.fresh) {
        const found = pairs.some((p) => p.focus === own && existing.has(taskId(p.rule.id, own)));
        await carryTaskFlag(repo, e, flagged, found);
      }
      if (existing.size) await reevaluate(c, server, pairs, existing);
    },
  };
}

/** Evaluates again the foci of `pairs` whose Tasks exist, recording what changed (no Task created). */
async function reevaluate(c: Completeness, own: Repository, pairs: ReadonlyArray<{ rule: Rule; focus: string }>, existing: ReadonlySet<string>): Promise<void> {
  const byRule = new Map<Rule, string[]>();
  for (const p of pairs) {
    if (!existing.has(taskId(p.rule.id, p.focus))) continue;
    const list = byRule.get(p.rule) ?? [];
    list.push(p.focus.slice(p.focus.indexOf('/') + 1));
    byRule.set(p.rule, list);
  }
  const ctx = await c.context([...byRule.keys()]);
  for (const [rule, ids] of byRule) {
    const foci = await inScope(own, rule, ids);
    const found = new Set(foci.map((f) => f.id));
    const outOfScope = ids
      .filter((id) => !found.has(id))
      .map((id) => ({ id: taskId(rule.id, `${rule.scope.type}/${id}`), reason: `${rule.scope.type}/${id} is no longer in the scope of ${rule.id}` }));
    await record(own, { evaluations: await evaluate(own, ctx, rule, foci), outOfScope, create: false });
  }
}
