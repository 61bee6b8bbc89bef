import type { OperationOutcomeIssue, Patient, Resource } from 'fhir/r4';
import { OperationOutcomeError, conflict, issue, unprocessable } from '../errors/operation-outcome-error';
import type { RouterContext } from '../router/context';
import type { Repository } from '../store/repository';
import { assertMayMerge } from './authorize';
import type { UnmergeRequest } from './parameters';
import { contentOf, unmergedTarget } from './patients';
import { mergeProvenance, mergeRecord, type WrittenVersion } from './provenance';
import type { MergeRules } from './rules';
import { resolvePatient, type ResolvedPatient } from './resolve';
import { MergeStates, activeLock } from './state';

export const OPERATION = 'Patient/$unmerge';

export interface UnmergeResult {
  preview: boolean;
  source: Patient;
  target: Patient;
  /** Resources restored to the source (or that would be), by type; the two Patients are not counted. */
  restored: Record<string, number>;
  /** Resources the merge moved that changed since, left on the target (`keep-changed-on-target`). */
  kept: string[];
  provenance?: string;
}

/** One version the merge wrote, as it stands now. */
export interface Undo {
  written: WrittenVersion;
  /** The resource's version before the merge: what is restored. */
  before: Resource;
  /** Its content as the merge wrote it. */
  merged: Resource;
  current: { vid: number; del: boolean; resource: Resource };
}

const ref = (v: WrittenVersion) => `${v.type}/${v.id}`;
export const changedSince = (u: Undo) => u.current.del || contentOf(u.current.resource) !== contentOf(u.merged);

/** An unmerge checked, not yet started: both patients and every version the merge wrote. */
export interface PreparedUnmerge {
  source: ResolvedPatient;
  target: ResolvedPatient;
  written: WrittenVersion[];
}

/**
 * The checks of Patient/$unmerge: the caller's grants, both patients, the merge to undo (the last of the source, into
 * this target, not itself merged on, no merge running on them), and the grants on every type the merge wrote.
 * Nothing is written.
 */
export async function prepareUnmerge(ctx: RouterContext, req: UnmergeRequest): Promise<PreparedUnmerge> {
  const policy = ctx.repo.policy;
  assertMayMerge(policy, OPERATION);
  const source = await resolvePatient(ctx, req.source);
  const target = await resolvePatient(ctx, req.target);
  const record = await mergeToUndo(new MergeStates(ctx.repo), source.id, target.id);
  const written = await mergeRecord(ctx.repo.privileged(), record);
  assertMayMerge(
    policy,
    OPERATION,
    written.map((w) => w.type),
  );
  return { source, target, written };
}

/** Does the unmerge fit in one transaction (every version the merge wrote restored)? */
export const fitsOneUnmerge = (p: PreparedUnmerge, rules: MergeRules) => p.written.length <= rules.maxTransactionResources;

/** What the unmerge would restore and leave on the target, or the 409 it would answer; nothing written. */
export async function previewUnmerge(ctx: RouterContext, p: PreparedUnmerge, keepChanged: boolean): Promise<UnmergeResult> {
  const undos = await undosOf(ctx.repo.privileged(), p.written);
  const { restore, kept } = partition(undos, p.source.id, p.target.id, keepChanged);
  return { preview: true, source: p.source.patient, target: p.target.patient, restored: countByType(restore), kept };
}

/**
 * Patient/$unmerge in one transaction: undoes a merge from its record, the merge's Provenances (every version it
 * wrote; the version before each is what it replaced): the source's version before the merge restored (active, no
 * `replaced-by` link), each moved resource's version before the merge restored as a new version, the target's
 * `replaces` link and copied identifiers taken out (its version before the merge restored whole when it has not
 * changed since), the source no longer recorded as merged, and a Provenance of the unmerge. A moved resource
 * changed (or deleted) after the merge is refused with 409 listing them, unless `keep-changed-on-target` leaves
 * them on the target.
 */
export async function unmergeNow(ctx: RouterContext, p: PreparedUnmerge, keepChanged: boolean): Promise<UnmergeResult> {
  const { source, target } = p;
  await ctx.repo.ensureTypes(['Provenance', ...p.written.map((w) => w.type)]);
  return ctx.repo.inTransaction(async (tx) => {
    const states = new MergeStates(tx);
    const provenanceIds = await mergeToUndo(states, source.id, target.id);
    // First, so that the guard lets this transaction write references to the source again.
    await states.clearMerged(source.id);
    const undos = await undosOf(tx.privileged(), await mergeRecord(tx.privileged(), provenanceIds));
    const { restore, kept, sourceUndo, targetUndo } = partition(undos, source.id, target.id, keepChanged);
    const { put, versions } = restorer(tx);
    const patients = await restorePatients(put, sourceUndo, targetUndo, source.id);
    for (const u of restore) await put(u);
    const prov = await tx.privileged().create('Provenance', mergeProvenance('unmerge', tx.policy, versions, source.id, target.id, provenanceIds));
    return { preview: false, ...patients, restored: countByType(restore), kept, provenance: prov.doc._id };
  });
}

/** Writes each version before the merge back through `tx` (if the one stored is still the one read), remembering each. */
export function restorer(tx: Repository) {
  const versions: WrittenVersion[] = [];
  const put = async (u: Undo, resource: Resource = u.before) => {
    const w = await tx.update(u.written.type, u.written.id, resource, { ifMatch: u.current.vid });
    versions.push({ type: u.written.type, id: u.written.id, vid: w.doc.vid });
    return w.resource;
  };
  return { put, versions };
}

/**
 * Both Patients as before the merge: the source whole; the target whole when it has not changed since, otherwise
 * as it is now without the `replaces` link and the identifiers the merge copied.
 */
export async function restorePatients(
  put: ReturnType<typeof restorer>['put'],
  sourceUndo: Undo,
  targetUndo: Undo,
  sourceId: string,
): Promise<{ source: Patient; target: Patient }> {
  const source = (await put(sourceUndo)) as Patient;
  const targetNow = changedSince(targetUndo)
    ? unmergedTarget(targetUndo.current.resource as Patient, targetUndo.merged as Patient, targetUndo.before as Patient, sourceId)
    : targetUndo.before;
  return { source, target: (await put(targetUndo, targetNow)) as Patient };
}

/** The Provenances of the merge of `sourceId` into `targetId`, if it is the one to undo now (422 otherwise). */
export async function mergeToUndo(states: MergeStates, sourceId: string, targetId: string): Promise<string[]> {
  const state = await states.get(sourceId);
  if (!state?.mergedInto || !state.provenance?.length)
    throw unprocessable(`Patient/${sourceId} is not merged into another patient (by this server): there is nothing to unmerge`);
  if (state.mergedInto !== targetId) throw unprocessable(`Patient/${sourceId} was merged into Patient/${state.mergedInto}, not Patient/${targetId}`);
  const targetState = await states.get(targetId);
  if (targetState?.mergedInto) {
    throw unprocessable(`Patient/${targetId} has since been merged into Patient/${targetState.mergedInto}: unmerge that merge first, then this one`);
  }
  const lock = activeLock(targetState) ?? activeLock(state);
  if (lock) throw conflict(`Patient/${targetId} is being merged with Patient/${lock.other}: try again when that merge has finished`);
  return state.provenance;
}

/** Each version the merge wrote, with the one before it and the resource as it stands now. */
export async function undosOf(repo: Repository, written: WrittenVersion[]): Promise<Undo[]> {
  const out: Undo[] = [];
  for (const w of written) {
    const merged = await repo.vread(w.type, w.id, w.vid);
    const before = await repo.vread(w.type, w.id, w.vid - 1);
    await repo.flush(w.type);
    const now = await repo.findVersions(w.type, { _id: w.id }, { projection: { s: 0 } }).next();
    if (!now) throw unprocessable(`${ref(w)}, written by the merge, is not stored: the merge cannot be undone`);
    out.push({ written: w, before: JSON.parse(before.r), merged: JSON.parse(merged.r), current: { vid: now.vid, del: now.del, resource: JSON.parse(now.r) } });
  }
  return out;
}

/** What to restore, what to keep on the target (changed since, when the caller allows), or 409 naming the changed. */
export function partition(undos: Undo[], sourceId: string, targetId: string, keepChanged: boolean) {
  const isPatient = (u: Undo, id: string) => u.written.type === 'Patient' && u.written.id === id;
  const sourceUndo = undos.find((u) => isPatient(u, sourceId));
  const targetUndo = undos.find((u) => isPatient(u, targetId));
  if (!sourceUndo || !targetUndo) throw unprocessable(`The record of the merge does not name both Patient/${sourceId} and Patient/${targetId}: it cannot be undone`);
  const moved = undos.filter((u) => u !== sourceUndo && u !== targetUndo);
  const changed = moved.filter(changedSince).sort((a, b) => ref(a.written).localeCompare(ref(b.written)));
  if (changed.length && !keepChanged) {
    const issues: OperationOutcomeIssue[] = [
      issue(
        'conflict',
        `${changed.length} resource(s) moved by the merge changed after it: unmerge with keep-changed-on-target=true to leave them on Patient/${targetId}`,
      ),
      ...changed.map((u) =>
        issue(
          'conflict',
          `${ref(u.written)} changed after the merge (version ${u.written.vid} written by the merge, now ${u.current.vid}${u.current.del ? ', deleted' : ''})`,
          ref(u.written),
        ),
      ),
    ];
    throw new OperationOutcomeError('conflict', issues);
  }
  return { sourceUndo, targetUndo, restore: moved.filter((u) => !changed.includes(u)), kept: changed.map((u) => ref(u.written)) };
}

export function countByType(undos: Undo[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const u of undos) counts[u.written.type] = (counts[u.written.type] ?? 0) + 1;
  return counts;
}
