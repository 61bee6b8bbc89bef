import { createHash } from 'node:crypto';
import { canonicalize } from 'json-canonicalize';
import type { Reference, Task } from 'fhir/r4';
import type { Deficiency } from './evaluate';

/**
 * A deficiency is a Task the server keeps: one per rule and focus, with a deterministic id (`taskId`), so audits,
 * write hooks and concurrent runs all address the same Task and never duplicate it.
 *
 *   Task.code                 the rule: RULE_SYSTEM | rule id (display: its title)
 *   Task.businessStatus       STATUS_SYSTEM | deficient or delinquent (past the deadline when last written)
 *   Task.status               requested when found; a clinician may move it on (in-progress, on-hold, ...); the
 *                             server sets completed when a write or an audit finds it fixed, cancelled when the
 *                             focus leaves the rule's scope (deleted, status changed), requested again if it recurs
 *   Task.focus / for / encounter / owner   the resource, its patient, its encounter, the responsible clinician
 *   Task.restriction.period   start: when the deficiency began; end: the deadline (delinquent after it)
 *   Task.identifier           IDENTIFIER_SYSTEM | `<rule>/<Type>/<id>`
 *   Task.description          the rule's title and what is missing
 */
export const RULE_SYSTEM = 'http://fhirstone.org/fhir/CodeSystem/deficiency-rule';
export const STATUS_SYSTEM = 'http://fhirstone.org/fhir/CodeSystem/deficiency-status';
export const IDENTIFIER_SYSTEM = 'http://fhirstone.org/fhir/deficiency';

export type BusinessStatus = 'deficient' | 'delinquent';

/** Task statuses of a deficiency still to be fixed (anything not final). */
export const OPEN_STATUSES: ReadonlySet<string> = new Set(['draft', 'requested', 'received', 'accepted', 'ready', 'in-progress', 'on-hold']);

export const isOpen = (task: Task): boolean => OPEN_STATUSES.has(task.status);

/** What every deficiency Task's id begins with. */
export const DEFICIENCY_ID_PREFIX = 'dfc-';

/** The Task id of a rule on a focus: stable, a valid FHIR id (64 characters at most). */
export function taskId(rule: string, focus: string): string {
  return `${DEFICIENCY_ID_PREFIX}${createHash('sha256').update(`${rule}|${focus}`).digest('hex').slice(0, 40)}`;
}

const CONDITIONAL = /^([A-Z][A-Za-z]+)\?identifier=([^|&]*)\|([^&]+)$/;

/**
 * A reference fit for a Task: literal references kept; a conditional one never resolved (`Practitioner?identifier=
 * sys|val`, as some exports ship them) becomes the logical reference it means, so the Task names no search.
 */
export function taskReference(r: Reference | undefined): Reference | undefined {
  if (!r) return undefined;
  const m = typeof r.reference === 'string' ? CONDITIONAL.exec(r.reference) : null;
  if (!m)
    return { ...(r.reference ? { reference: r.reference } : {}), ...(r.identifier ? { identifier: r.identifier } : {}), ...(r.display ? { display: r.display } : {}) };
  return { type: m[1], identifier: { system: decodeURIComponent(m[2]), value: decodeURIComponent(m[3]) }, ...(r.display ? { display: r.display } : {}) };
}

export function businessStatus(task: Task): string | undefined {
  return task.businessStatus?.coding?.find((c) => c.system === STATUS_SYSTEM)?.code;
}

const statusConcept = (code: BusinessStatus) => ({ coding: [{ system: STATUS_SYSTEM, code, display: code === 'deficient' ? 'Deficient' : 'Delinquent' }], text: code });

/** Deficient before the deadline, delinquent after it. */
export const statusAt = (deadline: Date, at: Date): BusinessStatus => (at.getTime() > deadline.getTime() ? 'delinquent' : 'deficient');

/**
 * The Task of a deficiency as found now. An open previous version keeps its status, authoredOn and whatever else a
 * clinician added (notes, a performer); one that was closed is opened again as requested.
 */
export function deficiencyTask(e: Deficiency, previous: Task | undefined, now: Date): Task {
  const focus = `${e.focus.resourceType}/${e.focus.id}`;
  const reopened = !previous || !isOpen(previous);
  const owner = taskReference(e.owner);
  const patient = taskReference(e.patient);
  const encounter = taskReference(e.encounter);
  const { meta: _meta, executionPeriod, statusReason, owner: _owner, for: _for, encounter: _encounter, ...kept } = previous ?? ({} as Partial<Task>);
  return {
    ...kept,
    ...(reopened ? {} : { ...(executionPeriod ? { executionPeriod } : {}), ...(statusReason ? { statusReason } : {}) }),
    resourceType: 'Task',
    id: taskId(e.rule.id, focus),
    identifier: [{ system: IDENTIFIER_SYSTEM, value: `${e.rule.id}/${focus}` }],
    status: reopened ? 'requested' : previous.status,
    businessStatus: statusConcept(statusAt(e.deadline, now)),
    intent: 'order',
    code: { coding: [{ system: RULE_SYSTEM, code: e.rule.id, display: e.rule.title }], text: e.rule.title },
    description: `${e.rule.title}: ${e.problems.join('; ')}`,
    focus: { reference: focus },
    ...(patient ? { for: patient } : {}),
    ...(encounter ? { encounter } : {}),
    authoredOn: reopened ? now.toISOString() : (previous.authoredOn ?? now.toISOString()),
    lastModified: now.toISOString(),
    ...(owner ? { owner } : {}),
    restriction: { period: { start: e.start.toISOString(), end: e.deadline.toISOString() } },
  };
}

/** A deficiency's Task once fixed: completed, saying whether that was in time (businessStatus at completion). */
export function completedTask(previous: Task, now: Date): Task {
  const deadline = previous.restriction?.period?.end;
  const { statusReason: _drop, ...rest } = previous;
  return {
    ...rest,
    status: 'completed',
    businessStatus: statusConcept(deadline ? statusAt(new Date(deadline), now) : 'deficient'),
    lastModified: now.toISOString(),
    executionPeriod: { end: now.toISOString() },
  };
}

/** A deficiency's Task whose focus left the rule's scope (deleted, or no longer matching): cancelled. */
export function cancelledTask(previous: Task, now: Date, reason: string): Task {
  return { ...previous, status: 'cancelled', statusReason: { text: reason }, lastModified: now.toISOString(), executionPeriod: { end: now.toISOString() } };
}

/** What a write would change: the Task without its bookkeeping times and version, in canonical JSON (RFC 8785). */
function material(t: Task): string {
  const { meta: _m, lastModified: _l, authoredOn: _a, text: _t, ...rest } = t;
  return canonicalize(rest);
}

/** Is `next` worth writing over `previous`? */
export const changed = (previous: Task | undefined, next: Task): boolean => !previous || material(previous) !== material(next);
