import type { Resource } from 'fhir/r4';
import { collectReferences, rewriteReferences } from '../fhir/references';
import { referencedPatientId, referencesPatient } from '../search/patient-references';
import type { Repository } from '../store/repository';
import type { StoredDocument } from '../store/stored-document';
import type { MergeRules } from './rules';

/** A live resource that references the source patient, to be moved to the target. */
export interface ReferencingDoc {
  type: string;
  doc: StoredDocument;
}

/**
 * The types to look in: every type the store holds, except those whose references record what happened
 * (AuditEvent, Provenance: `keepReferences`).
 */
const typesToMove = (types: readonly string[], rules: MergeRules) => types.filter((t) => !rules.keepReferences.has(t));

/**
 * How many live resources of each type reference Patient/`sourceId` in any element (the `_patient-ref` index
 * entries: one indexed count per type), leaving out the `skip` Patients: the source and target themselves, which the
 * merge writes on its own terms, and the patients merged into the source earlier, whose replaced-by links to it stay
 * as the chain of merges (A into B, then B into C: A still says B, and B says C). `repo` must see everything (the server's privileged view): the caller's grants are
 * checked on the types found, not used to find them.
 */
export async function countReferencing(
  repo: Repository,
  types: readonly string[],
  rules: MergeRules,
  sourceId: string,
  skip: readonly string[],
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const type of typesToMove(types, rules)) {
    const filter = type === 'Patient' ? { $and: [referencesPatient(sourceId), { _id: { $nin: [...skip] } }] } : referencesPatient(sourceId);
    const n = await repo.count(type, filter);
    if (n) counts[type] = n;
  }
  return counts;
}

/** The referencing resources themselves (at most `limit` + 1, so a caller can tell the limit was passed). */
export async function findReferencing(
  repo: Repository,
  types: readonly string[],
  rules: MergeRules,
  sourceId: string,
  skip: readonly string[],
  limit: number,
): Promise<ReferencingDoc[]> {
  const out: ReferencingDoc[] = [];
  for (const type of typesToMove(types, rules)) {
    await repo.flush(type);
    for await (const doc of repo.find(type, referencesPatient(sourceId), { limit: limit + 1 - out.length, sort: { _id: 1 } })) {
      if (type !== 'Patient' || !skip.includes(doc._id)) out.push({ type, doc });
    }
    if (out.length > limit) break;
  }
  return out;
}

/** `resource` with every reference to Patient/`sourceId` (versioned or not) pointing at Patient/`targetId`. */
export function movedResource(resource: Resource, sourceId: string, targetId: string): Resource {
  const map = new Map<string, string>();
  for (const ref of collectReferences(resource)) {
    if (referencedPatientId(ref) === sourceId) map.set(ref, `Patient/${targetId}`);
  }
  rewriteReferences(resource, map);
  return resource;
}
