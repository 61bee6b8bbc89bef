import type { Task } from 'fhir/r4';
import type { Filter } from 'mongodb';
import type { Repository } from '../store/repository';
import type { StoredDocument } from '../store/stored-document';
import type { Completeness } from './completeness';
import { and, evaluate, inScope, isDeficient, type EvaluationContext } from './evaluate';
import { record, type Change, type Recorded } from './record';
import type { Rule } from './rules';
import { OPEN_STATUSES, RULE_SYSTEM, statusAt, taskId } from './task';

/** The audit's parameters, fixed at kick-off (`$completeness-audit`). */
export interface AuditParams {
  /** Rule ids to run, in the rules file's order (all enabled rules unless some were named). */
  rules: string[];
  /** Dates (YYYY-MM-DD) bounding each rule's `scope.dateParam`. */
  start?: string;
  end?: string;
  /** Encounter class codes: only rules scoped on Encounter run, on encounters of these classes. */
  encounterClass?: string[];
  /** A Patient id: only that patient's resources. */
  patient?: string;
}

export type RuleCounts = Record<Change | 'evaluated' | 'deficient' | 'delinquent', number>;

/** Where an audit stands: the next rule to run, and the counts of the rules done. */
export interface AuditState {
  next: number;
  counts: Record<string, RuleCounts>;
}

/** What the audit needs of its job (the shape of src/jobs' SimpleJobContext). */
export interface AuditIo {
  signal?: AbortSignal;
  state?: AuditState;
  write(type: string, line: object | string): Promise<void>;
  checkpoint(state: AuditState, processed: number): Promise<void>;
}

/** Foci evaluated per query of related resources and per transaction of Task writes. */
export const AUDIT_PAGE = 1000;

const emptyCounts = (): RuleCounts => ({
  evaluated: 0,
  deficient: 0,
  delinquent: 0,
  created: 0,
  updated: 0,
  reopened: 0,
  completed: 0,
  cancelled: 0,
  unchanged: 0,
});

/** The rule's scope narrowed by the audit's parameters; undefined when the parameters exclude the rule. */
function auditScope(c: Completeness, rule: Rule, p: AuditParams): Filter<StoredDocument> | undefined {
  const s = rule.scope;
  const parts: Filter<StoredDocument>[] = [s.filter];
  if (p.encounterClass?.length) {
    if (s.type !== 'Encounter') return undefined;
    parts.push(c.search.filter('Encounter', `class=${p.encounterClass.join(',')}`));
  }
  if (p.patient) {
    if (!s.patientParam) return undefined;
    parts.push(c.search.filter(s.type, s.patientParam === '_id' ? `_id=${p.patient}` : `${s.patientParam}=Patient/${p.patient}`));
  }
  if ((p.start || p.end) && s.dateParam) {
    const bounds = [p.start && `${s.dateParam}=ge${p.start}`, p.end && `${s.dateParam}=le${p.end}`].filter(Boolean).join('&');
    parts.push(c.search.filter(s.type, bounds));
  }
  return and(...parts);
}

/** Every open Task of a rule (optionally of one patient): id and focus id. */
async function openTasks(c: Completeness, repo: Repository, rule: Rule, patient: string | undefined): Promise<Array<{ id: string; focus: string }>> {
  const query = `code=${RULE_SYSTEM}|${rule.id}&status=${[...OPEN_STATUSES].join(',')}${patient ? `&patient=Patient/${patient}` : ''}`;
  const out: Array<{ id: string; focus: string }> = [];
  await repo.flush('Task');
  for await (const doc of repo.find('Task', c.search.filter('Task', query), { projection: { r: 1 } })) {
    const focus = (JSON.parse(doc.r) as Task).focus?.reference;
    if (focus?.startsWith(`${rule.scope.type}/`)) out.push({ id: doc._id, focus: focus.slice(rule.scope.type.length + 1) });
  }
  return out;
}

/**
 * Runs one rule: the foci in its (narrowed) scope, streamed and evaluated a page at a time (one query of related
 * resources per page), their Tasks written when they change; then the open Tasks whose focus left the scope are
 * cancelled. Every Task the run wrote or found open is a line of the output.
 */
async function auditRule(c: Completeness, repo: Repository, ctx: EvaluationContext, rule: Rule, params: AuditParams, io: AuditIo, counts: RuleCounts) {
  const scope = auditScope(c, rule, params);
  if (!scope) return;
  const own = repo.privileged();
  const now = new Date();
  const emit = async (recorded: Recorded[]) => {
    for (const r of recorded) {
      counts[r.change]++;
      await io.write('Task', r.task);
    }
  };
  let page: Array<Awaited<ReturnType<typeof inScope>>[number]> = [];
  const flush = async () => {
    const evaluations = await evaluate(repo, ctx, rule, page);
    counts.evaluated += page.length;
    for (const e of evaluations) if (isDeficient(e)) counts[statusAt(e.deadline, now)]++;
    page = [];
    await emit(await record(own, { evaluations, create: true }, now));
  };
  await repo.flush(rule.scope.type);
  for await (const doc of repo.find(rule.scope.type, scope, { projection: { r: 1 }, batchSize: AUDIT_PAGE })) {
    if (io.signal?.aborted) throw io.signal.reason;
    page.push(JSON.parse(doc.r));
    if (page.length >= AUDIT_PAGE) await flush();
  }
  if (page.length) await flush();

  // Open Tasks whose focus is gone or no longer matches the rule's own scope (whatever this audit's bounds), as
  // the server sees the focus: a Task is bookkeeping, never cancelled because the caller cannot see its focus.
  const open = await openTasks(c, repo, rule, params.patient);
  for (let i = 0; i < open.length; i += AUDIT_PAGE) {
    const chunk = open.slice(i, i + AUDIT_PAGE);
    const live = new Set(
      (
        await inScope(
          own,
          rule,
          chunk.map((t) => t.focus),
        )
      ).map((f) => f.id),
    );
    const outOfScope = chunk
      .filter((t) => !live.has(t.focus))
      .map((t) => ({ id: taskId(rule.id, `${rule.scope.type}/${t.focus}`), reason: `${rule.scope.type}/${t.focus} is no longer in the scope of ${rule.id}` }));
    if (outOfScope.length) await emit(await record(own, { evaluations: [], outOfScope, create: true }, now));
  }
}

/**
 * The audit as a resumable function over (repository, parameters, state): rule by rule, each checkpointed when
 * done, so a resumed job starts again at the rule it was in (its Tasks are idempotent: a rule run twice writes
 * nothing new). `repo` is bounded by the kick-off caller's policy for everything it reads; the Tasks are written
 * through its privileged form, as the server's bookkeeping. Returns the counts per rule.
 */
export async function runAudit(c: Completeness, repo: Repository, params: AuditParams, io: AuditIo): Promise<AuditState> {
  const rules = params.rules.map((id) => c.rule(id)).filter((r): r is Rule => r !== undefined);
  const state: AuditState = io.state ?? { next: 0, counts: {} };
  const ctx = await c.context(rules);
  for (let i = state.next; i < rules.length; i++) {
    const counts = emptyCounts();
    await auditRule(c, repo, ctx, rules[i], params, io, counts);
    state.counts[rules[i].id] = counts;
    state.next = i + 1;
    await io.checkpoint(state, processed(state));
  }
  return state;
}

/** Foci evaluated so far, over the rules done. */
export const processed = (state: AuditState): number => Object.values(state.counts).reduce((n, c) => n + c.evaluated, 0);
