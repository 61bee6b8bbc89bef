import type { Resource } from 'fhir/r4';
import { normalizeReference } from '../search/types/reference';
import type { VersionPurge } from '../store/purge';
import type { IdentityHasher } from './identity-hash';
import type { BatchSurvey } from './record-survey';
import { withoutReferences } from './strip-references';
import { redactor } from './identifying-text';

/** What one batch removed and rewrote, per type. */
export interface TypeTotals {
  /** Resources removed with every version. */
  resources: number;
  /** Versions removed (of those resources, and single past versions of resources that stay). */
  versions: number;
  /** Shared resources that stay without the patients' references, and their versions rewritten. */
  rewritten: number;
  versionsRewritten: number;
}

export interface BatchResult {
  totals: Record<string, TypeTotals>;
  /** Per destroyed patient, its resources removed per type. */
  perRecord: Map<string, Record<string, number>>;
  /** Salted hashes of every identity removed: `Type/id`, and `Type/id/_history/n` of single versions. */
  identities: string[];
}

const zero = (): TypeTotals => ({ resources: 0, versions: 0, rewritten: 0, versionsRewritten: 0 });

/** Carries out a survey inside the batch's transaction: removals first, then the rewrites of what stays. */
export async function applySurvey(purge: VersionPurge, survey: BatchSurvey, hash: IdentityHasher, baseUrl?: string): Promise<BatchResult> {
  const result: BatchResult = { totals: {}, perRecord: new Map(), identities: [] };
  const totals = (type: string) => (result.totals[type] ??= zero());
  for (const [type, ids] of survey.remove) {
    const removed = await purge.removeResources(type, [...ids.keys()]);
    totals(type).resources += removed.current;
    totals(type).versions += removed.history;
    for (const [id, patient] of ids) {
      const counts = result.perRecord.get(patient) ?? {};
      counts[type] = (counts[type] ?? 0) + 1;
      result.perRecord.set(patient, counts);
      result.identities.push(hash(`${type}/${id}`));
    }
  }
  for (const [type, keys] of survey.removeVersions) {
    totals(type).versions += await purge.removeVersions(type, keys);
    for (const key of keys) result.identities.push(hash(`${type}/${key.replace('/', '/_history/')}`));
  }
  const removing = (patients: readonly string[]) => {
    const refs = new Set(patients.map((id) => `Patient/${id}`));
    return (reference: string) => refs.has(normalizeReference(reference, baseUrl) ?? reference);
  };
  // Free text of a shared resource naming a destroyed patient it referenced (a Group's name, a note) is redacted.
  const redacting = (patients: readonly string[]) => redactor(patients.flatMap((id) => survey.identifying?.get(id) ?? []));
  const cleaned = (doc: { r: string }, patients: readonly string[]) => withoutReferences(JSON.parse(doc.r) as Resource, removing(patients), redacting(patients)).resource;
  for (const [type, docs] of survey.rewrite) {
    for (const { doc, patients } of docs.values()) {
      await purge.rewriteCurrent(type, doc, cleaned(doc, patients));
      totals(type).rewritten++;
    }
  }
  for (const [type, versions] of survey.rewriteVersions) {
    for (const { doc, patients } of versions) {
      await purge.rewriteVersion(type, doc, cleaned(doc, patients));
      totals(type).versionsRewritten++;
    }
  }
  return result;
}
