import type { Patient, Resource } from 'fhir/r4';
import { identifyingText } from './identifying-text';
import type { Filter } from 'mongodb';
import { PATIENT_REFERENCE, referencedPatientIds } from '../search/patient-references';
import type { IndexEntry } from '../search/types';
import type { VersionPurge } from '../store/purge';
import type { HistoryDocument, StoredDocument } from '../store/stored-document';
import { DEPENDENTS, attachedBinaryIds, type RecordMembership } from './record-membership';

/** What one batch of records takes from the store: found and classified inside the batch's transaction. */
export interface BatchSurvey {
  /** Per type: the resources that go with every version, each with the destroyed patient it belonged to. */
  remove: Map<string, Map<string, string>>;
  /** Per type: past versions (`id/vid`) that go, of resources that stay. */
  removeVersions: Map<string, string[]>;
  /** Per type: current versions that stay without the patients' references (id -> patients to remove). */
  rewrite: Map<string, Map<string, { doc: StoredDocument; patients: string[] }>>;
  /** Per type: past versions that stay without the patients' references. */
  rewriteVersions: Map<string, Array<{ doc: HistoryDocument; patients: string[] }>>;
  /** Per patient: the latest lastUpdated among its record's resources (a record changed after review drops out). */
  latest: Map<string, Date>;
  /** Per patient: the strings that name it in free text (identifying-text.ts), from its Patient resource. */
  identifying?: Map<string, string[]>;
}

export interface SurveyContext {
  purge: VersionPurge;
  membership: RecordMembership;
  /** Resource types stored on this server. */
  types: readonly string[];
  baseUrl?: string;
}

/** `$in` lists longer than this are split (the dependents' query names every destroyed resource). */
const IN_CHUNK = 1000;

const entry = <V>(map: Map<string, V>, key: string, make: () => V): V => {
  let v = map.get(key);
  if (v === undefined) map.set(key, (v = make()));
  return v;
};

/** The roles a version plays for the patients of the batch it names. */
function rolesOf(ctx: SurveyContext, resource: Resource, compartments: readonly string[] | undefined, batch: ReadonlySet<string>) {
  const named = new Set(referencedPatientIds(resource, ctx.baseUrl));
  for (const c of compartments ?? []) if (c.startsWith('Patient/')) named.add(c.slice(8));
  const members: string[] = [];
  const shared: string[] = [];
  for (const id of named) {
    if (!batch.has(id)) continue;
    const role = ctx.membership.roleOf(resource, id, ctx.baseUrl);
    if (role === 'member') members.push(id);
    else if (role === 'shared') shared.push(id);
  }
  return { members, shared };
}

/**
 * Finds everything of the records of `patients`: current documents in their compartments or referencing them
 * anywhere (`_patient-ref`), past versions in their compartments (also of resources now outside them), every
 * version of the shared resources that stay, and the dependents (attachments, provenance) of what goes.
 */
export async function surveyBatch(ctx: SurveyContext, patients: readonly string[]): Promise<BatchSurvey> {
  const batch = new Set(patients);
  const refs = patients.map((id) => `Patient/${id}`);
  const survey: BatchSurvey = { remove: new Map(), removeVersions: new Map(), rewrite: new Map(), rewriteVersions: new Map(), latest: new Map(), identifying: new Map() };
  const mentioning: Filter<StoredDocument> = { $or: [{ c: { $in: refs } }, { 's.e': { $elemMatch: { p: PATIENT_REFERENCE, v: { $in: refs } } } }] };
  const attached = new Map<string, string>();
  for (const type of ctx.types) {
    for (const doc of await ctx.purge.findCurrent(type, mentioning, { s: 0 })) {
      const resource = JSON.parse(doc.r) as Resource;
      if (type === 'Patient' && batch.has(doc._id)) survey.identifying!.set(doc._id, identifyingText(resource as Patient));
      const { members, shared } = rolesOf(ctx, resource, doc.c, batch);
      if (members.length) {
        entry(survey.remove, type, () => new Map()).set(doc._id, members[0]);
        for (const id of attachedBinaryIds(resource)) attached.set(id, members[0]);
        for (const id of members) if (!(survey.latest.get(id)! >= doc.lu)) survey.latest.set(id, doc.lu);
      } else if (shared.length) entry(survey.rewrite, type, () => new Map()).set(doc._id, { doc, patients: shared });
    }
  }
  await addDependents(ctx, survey, refs);
  await addAttachedBinaries(ctx, survey, attached);
  for (const type of ctx.types) await surveyHistory(ctx, survey, type, refs, batch);
  return survey;
}

/** Binaries and Provenances every resource of whose `entry` goes (or names a destroyed patient) go too. */
async function addDependents(ctx: SurveyContext, survey: BatchSurvey, refs: readonly string[]): Promise<void> {
  const gone = new Set(refs);
  for (const [type, ids] of survey.remove) for (const id of ids.keys()) gone.add(`${type}/${id}`);
  const targets = [...gone];
  for (const { type, entry: code } of DEPENDENTS) {
    if (!ctx.types.includes(type)) continue;
    for (let i = 0; i < targets.length; i += IN_CHUNK) {
      const chunk = targets.slice(i, i + IN_CHUNK);
      const docs = await ctx.purge.findCurrent(type, { 's.e': { $elemMatch: { p: code, v: { $in: chunk } } } }, { _id: 1, 's.e': 1, c: 1 });
      for (const doc of docs) {
        const named = ((doc.s as { e?: IndexEntry[] } | undefined)?.e ?? []).filter((e) => e.p === code).map((e) => e.v);
        if (!named.every((v) => v !== undefined && gone.has(v))) continue;
        entry(survey.remove, type, () => new Map()).set(doc._id, ownerOf(survey, named[0]!));
        survey.rewrite.get(type)?.delete(doc._id);
      }
    }
  }
}

/** Binaries without a securityContext that an attachment of a destroyed resource points to (`attachedBinaryIds`). */
async function addAttachedBinaries(ctx: SurveyContext, survey: BatchSurvey, attached: ReadonlyMap<string, string>): Promise<void> {
  const ids = [...attached.keys()].filter((id) => !survey.remove.get('Binary')?.has(id));
  if (ids.length === 0 || !ctx.types.includes('Binary')) return;
  for (const doc of await ctx.purge.findCurrent('Binary', { _id: { $in: ids } }, { _id: 1, r: 1 })) {
    if ((JSON.parse(doc.r) as { securityContext?: unknown }).securityContext === undefined) {
      entry(survey.remove, 'Binary', () => new Map()).set(doc._id, attached.get(doc._id)!);
    }
  }
}

/** The destroyed patient a dependent goes with: the one it names, or the owner of the resource it names. */
function ownerOf(survey: BatchSurvey, target: string): string {
  const [type, id] = target.split('/');
  return type === 'Patient' ? id : (survey.remove.get(type)?.get(id) ?? '');
}

/** Past versions naming the batch's patients, of resources that stay, and every version of the shared ones. */
async function surveyHistory(ctx: SurveyContext, survey: BatchSurvey, type: string, refs: readonly string[], batch: ReadonlySet<string>): Promise<void> {
  const removed = survey.remove.get(type);
  const rewritten = [...(survey.rewrite.get(type)?.keys() ?? [])];
  const versions = new Map<string, HistoryDocument>();
  // In the patients' compartments, or naming them elsewhere (`pr`): a shared resource's past versions too.
  for (const doc of await ctx.purge.findHistory(type, { $or: [{ c: { $in: [...refs] } }, { pr: { $in: [...refs] } }] })) versions.set(doc._id, doc);
  if (rewritten.length) for (const doc of await ctx.purge.findHistory(type, { id: { $in: rewritten } })) versions.set(doc._id, doc);
  for (const doc of versions.values()) {
    if (removed?.has(doc.id)) continue;
    const { members, shared } = rolesOf(ctx, JSON.parse(doc.r) as Resource, doc.c, batch);
    if (members.length) entry(survey.removeVersions, type, () => []).push(doc._id);
    else if (shared.length) entry(survey.rewriteVersions, type, () => []).push({ doc, patients: shared });
  }
}
