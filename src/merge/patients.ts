import type { Identifier, Patient, PatientLink, Resource } from 'fhir/r4';
import { canonicalize } from 'json-canonicalize';
import { badRequest, unprocessable } from '../errors/operation-outcome-error';
import { referencedPatientId } from '../search/patient-references';

/**
 * The Patient versions a merge writes and an unmerge restores. R5 Patient-merge: the source becomes inactive with a
 * `replaced-by` link to the target; the target gets a `replaces` link to the source and the source's identifiers,
 * marked `old` (unless the caller gave the whole result as `result-patient`, whose identifiers are the caller's).
 */

const linkTo = (id: string, type: PatientLink['type']): PatientLink => ({ other: { reference: `Patient/${id}` }, type });
const linksTo = (link: PatientLink, id: string) => referencedPatientId(link.other.reference ?? '') === id;
const sameIdentifier = (a: Identifier, b: Identifier) => a.value === b.value && (a.system ?? '') === (b.system ?? '');

/** Has the source been merged away already (a `replaced-by` link), by this server or another system? */
export function replacedBy(patient: Patient): string | undefined {
  return patient.link?.find((l) => l.type === 'replaced-by')?.other.reference;
}

export function mergedSource(source: Patient, targetId: string): Patient {
  return { ...source, active: false, link: [...(source.link ?? []), linkTo(targetId, 'replaced-by')] };
}

/**
 * The target after the merge: `base` (the stored target, or the caller's result-patient) with one `replaces` link to
 * the source in place of any link it had to it, plus the source's identifiers it lacks, as `old` ones.
 */
export function mergedTarget(base: Patient, source: Patient, sourceId: string, copyIdentifiers: boolean): Patient {
  const link = [...(base.link ?? []).filter((l) => !linksTo(l, sourceId)), linkTo(sourceId, 'replaces')];
  const identifier = [...(base.identifier ?? [])];
  if (copyIdentifiers) {
    for (const i of source.identifier ?? []) if (!identifier.some((own) => sameIdentifier(own, i))) identifier.push({ ...i, use: 'old' });
  }
  return { ...base, link, ...(identifier.length ? { identifier } : {}) };
}

/** R5: result-patient is the target as it will be stored: its id, and the identifiers the request named. */
export function checkResultPatient(result: Patient, targetId: string, named: Identifier[]): Patient {
  if (result.id !== undefined && result.id !== targetId) throw badRequest(`result-patient has id "${result.id}" but the target is Patient/${targetId}`, 'result-patient');
  const missing = named.filter((i) => !(result.identifier ?? []).some((own) => sameIdentifier(own, i)));
  if (missing.length) throw unprocessable(`result-patient lacks the identifier ${missing.map((i) => i.value).join(', ')} the request named`, 'result-patient');
  return { ...result, id: targetId };
}

/**
 * The target after an unmerge, when it changed after the merge (otherwise its version before the merge is restored
 * whole): what the merge added, the `replaces` link and the identifiers it copied, taken out; the rest kept.
 */
export function unmergedTarget(current: Patient, merged: Patient, before: Patient, sourceId: string): Patient {
  const had = new Set((before.identifier ?? []).map((i) => canonicalize(i)));
  const added = new Set((merged.identifier ?? []).map((i) => canonicalize(i)).filter((i) => !had.has(i)));
  const identifier = (current.identifier ?? []).filter((i) => !added.has(canonicalize(i)));
  const link = (current.link ?? []).filter((l) => !(l.type === 'replaces' && linksTo(l, sourceId)));
  const { identifier: _i, link: _l, ...rest } = current;
  return { ...rest, ...(identifier.length ? { identifier } : {}), ...(link.length ? { link } : {}) };
}

/** A resource's content without what the server sets on every version: equal contents mean no change since. */
export function contentOf(resource: Resource): string {
  const { meta, ...rest } = resource;
  const { versionId: _v, lastUpdated: _u, ...otherMeta } = meta ?? {};
  return canonicalize(Object.keys(otherMeta).length ? { ...rest, meta: otherMeta } : rest);
}
