import type { Provenance, ProvenanceAgent, Reference } from 'fhir/r4';
import type { AccessPolicy } from '../auth/access-policy';
import { isOperationOutcomeError, unprocessable } from '../errors/operation-outcome-error';
import type { Repository } from '../store/repository';

/**
 * The Provenance of a merge is its record: who merged which patients when, and every version it wrote
 * (`target`: `Type/id/_history/v`, the source and target Patients among them). An unmerge reads it back to know what
 * to undo: each listed version replaced the one before it (v - 1), which is what the unmerge restores. An unmerge has
 * its own Provenance, whose `entity` names the merge's.
 */
const LIFECYCLE = 'http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle';
const PARTICIPANT = 'http://terminology.hl7.org/CodeSystem/provenance-participant-type';
const USER_REFERENCE = /(?:^|\/)(Practitioner|PractitionerRole|Patient|RelatedPerson|Person)\/[A-Za-z0-9\-.]{1,64}$/;

export type MergeActivity = 'merge' | 'unmerge';

/** One version a merge wrote. */
export interface WrittenVersion {
  type: string;
  id: string;
  vid: number;
}

const versionReference = (v: WrittenVersion): Reference => ({ reference: `${v.type}/${v.id}/_history/${v.vid}` });
const VERSION = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9.-]{1,64})\/_history\/(\d+)$/;

function agents(policy: AccessPolicy): ProvenanceAgent[] {
  const role = (code: string) => ({ coding: [{ system: PARTICIPANT, code }] });
  const out: ProvenanceAgent[] = [];
  if (policy.user) out.push({ type: role('author'), who: USER_REFERENCE.test(policy.user) ? { reference: policy.user } : { identifier: { value: policy.user } } });
  if (policy.clientId) out.push({ type: role(out.length ? 'performer' : 'author'), who: { identifier: { value: policy.clientId }, display: policy.clientId } });
  if (!out.length)
    out.push({ type: role('author'), who: { display: policy.unrestricted ? 'a caller in protected mode (no authorization configured)' : 'an unidentified caller' } });
  return out;
}

/** The Provenance of a merge or an unmerge of `source` and `target` that wrote `versions`. */
export function mergeProvenance(
  activity: MergeActivity,
  policy: AccessPolicy,
  versions: WrittenVersion[],
  source: string,
  target: string,
  undoes: string[] = [],
): Provenance {
  return {
    resourceType: 'Provenance',
    target: versions.map(versionReference),
    recorded: new Date().toISOString(),
    activity: { coding: [{ system: LIFECYCLE, code: activity }], text: `${activity} of Patient/${source} ${activity === 'merge' ? 'into' : 'from'} Patient/${target}` },
    agent: agents(policy),
    ...(undoes.length ? { entity: undoes.map((id) => ({ role: 'revision' as const, what: { reference: `Provenance/${id}` } })) } : {}),
  };
}

/** The versions a merge wrote, from its Provenances (read as the server, whatever the caller may read). */
export async function mergeRecord(repo: Repository, provenanceIds: readonly string[]): Promise<WrittenVersion[]> {
  const out: WrittenVersion[] = [];
  for (const id of provenanceIds) {
    const doc = await repo.read('Provenance', id).catch((err: unknown) => {
      if (isOperationOutcomeError(err) && (err.category === 'not-found' || err.category === 'gone')) return undefined;
      throw err;
    });
    if (!doc) throw unprocessable(`Provenance/${id}, the record of the merge, is gone: the merge cannot be undone`);
    for (const t of (JSON.parse(doc.r) as Provenance).target) {
      const m = VERSION.exec(t.reference ?? '');
      if (m) out.push({ type: m[1], id: m[2], vid: Number(m[3]) });
    }
  }
  return out;
}
