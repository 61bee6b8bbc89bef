import type { Task } from 'fhir/r4';
import { isOperationOutcomeError } from '../errors/operation-outcome-error';
import type { Repository } from '../store/repository';
import { isDeficient, ref, type Evaluation } from './evaluate';
import { storedTasks } from './task-store';
import { cancelledTask, changed, completedTask, deficiencyTask, isOpen, taskId } from './task';
import { flagTaskFoci } from './task-guard';

export type Change = 'created' | 'updated' | 'completed' | 'cancelled' | 'reopened' | 'unchanged';

/** A Task a recording wrote or found current, and what happened to it. */
export interface Recorded {
  task: Task;
  change: Change;
}

/** What to record for one rule: the evaluations of foci in scope, and foci that left it (their Tasks cancelled). */
export interface RecordInput {
  evaluations: readonly Evaluation[];
  /** Task ids of deficiencies whose focus is no longer in the rule's scope, with why. */
  outOfScope?: ReadonlyArray<{ id: string; reason: string }>;
  /** Create Tasks for deficiencies that have none (the audit); a write hook only updates existing ones. */
  create: boolean;
}

async function write(repo: Repository, task: Task, previous: Task | undefined, createWithUpdate: boolean): Promise<void> {
  const id = task.id as string;
  // A new Task is inserted with its id (buffered in the transaction); one deleted by a client exists as a deletion
  // marker, which only update can replace: a duplicate id sends the page round again with updates.
  if (previous || createWithUpdate) await repo.update('Task', id, task);
  else await repo.create('Task', task, id);
}

async function recordOnce(repo: Repository, input: RecordInput, now: Date, createWithUpdate: boolean): Promise<Recorded[]> {
  const ids = [...input.evaluations.map((e) => taskId(e.rule.id, `${e.focus.resourceType}/${e.focus.id}`)), ...(input.outOfScope ?? []).map((o) => o.id)];
  const stored = await storedTasks(repo, ids);
  // The Tasks about to be created flag their foci's records (task-guard.ts), all in one go.
  const creating = input.create ? input.evaluations.filter((e) => isDeficient(e) && !stored.has(taskId(e.rule.id, ref(e.focus)))) : [];
  await flagTaskFoci(
    repo,
    creating.map((e) => ref(e.focus)),
  );
  const out: Recorded[] = [];
  for (const e of input.evaluations) {
    const previous = stored.get(taskId(e.rule.id, `${e.focus.resourceType}/${e.focus.id}`));
    if (isDeficient(e)) {
      if (!previous && !input.create) continue;
      const next = deficiencyTask(e, previous, now);
      if (!changed(previous, next)) {
        out.push({ task: previous!, change: 'unchanged' });
        continue;
      }
      await write(repo, next, previous, createWithUpdate);
      out.push({ task: next, change: !previous ? 'created' : isOpen(previous) ? 'updated' : 'reopened' });
    } else if (previous && isOpen(previous)) {
      const next = completedTask(previous, now);
      await write(repo, next, previous, createWithUpdate);
      out.push({ task: next, change: 'completed' });
    }
  }
  for (const o of input.outOfScope ?? []) {
    const previous = stored.get(o.id);
    if (!previous || !isOpen(previous)) continue;
    const next = cancelledTask(previous, now, o.reason);
    await write(repo, next, previous, createWithUpdate);
    out.push({ task: next, change: 'cancelled' });
  }
  return out;
}

/**
 * Brings the stored Tasks in line with evaluations, in one transaction (joining the caller's, as a write hook's
 * does): each Task is written only when it changes, so a second run over the same data writes nothing. `repo`
 * is the server's own (privileged) repository: the Tasks are its bookkeeping, whoever caused the evaluation.
 */
export async function record(repo: Repository, input: RecordInput, now: Date = new Date()): Promise<Recorded[]> {
  try {
    return await repo.inTransaction((tx) => recordOnce(tx, input, now, false));
  } catch (err) {
    // Another run created one of these Tasks meanwhile (or a client deleted one): read again, and update.
    if (!isOperationOutcomeError(err) || err.category !== 'conflict' || repo.inTransactionNow) throw err;
    return repo.inTransaction((tx) => recordOnce(tx, input, now, true));
  }
}
