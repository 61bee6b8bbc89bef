import type { Group } from 'fhir/r4';
import type { AccessPolicy } from '../auth/access-policy';
import { badRequest, isOperationOutcomeError } from '../errors/operation-outcome-error';
import type { Repository } from '../store/repository';
import type { ExportWarning } from './export-job';
import type { ExportLevel } from './parameters';

/** A Group's active members: the patient ids they reference (relative `Patient/x` or absolute on this server), and
 * the references of the others (another server's, `urn:uuid:` ones stored from an export, other types, none). */
export function groupMembers(group: Group, baseUrl: string): { patients: string[]; unresolved: string[]; active: number } {
  const ids = new Set<string>();
  const unresolved: string[] = [];
  let active = 0;
  for (const member of group.member ?? []) {
    if (member.inactive === true) continue;
    active++;
    const reference = member.entity?.reference ?? '';
    const local = reference.startsWith(`${baseUrl}/`) ? reference.slice(baseUrl.length + 1) : reference;
    const m = /^Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(local);
    if (m) ids.add(m[1]);
    else unresolved.push(reference || '(no reference)');
  }
  return { patients: [...ids], unresolved, active };
}

/** Of `ids`, those no Patient the caller may read has (deleted, never stored): a member that resolves to nothing. */
async function absentPatients(repo: Repository, ids: string[]): Promise<string[]> {
  const found = new Set<string>();
  for (let i = 0; i < ids.length; i += 1000) {
    const page = repo.find('Patient', { _id: { $in: ids.slice(i, i + 1000) } }, { access: 'read', projection: { _id: 1 } });
    for await (const doc of page) found.add(doc._id);
  }
  return ids.filter((id) => !found.has(id));
}

const listed = (refs: string[]) => refs.slice(0, 5).join(', ') + (refs.length > 5 ? ` and ${refs.length - 5} more` : '');

/**
 * What the manifest's error file says of Group members that resolve to no Patient here (a Group stored with the
 * `urn:uuid:` member references of another system's export, say), and of a Group none of whose members resolves:
 * such an export is not failed, but its emptiness must not pass for "no data".
 */
async function unresolvedMembers(
  repo: Repository,
  groupId: string,
  members: ReturnType<typeof groupMembers>,
  cohort: string[],
  /** The cohort is every member the caller may see (no `patient` parameter chose among them). */
  whole: boolean,
): Promise<ExportWarning[]> {
  const absent = repo.policy.allows('Patient', 'read') ? await absentPatients(repo, cohort) : [];
  const refs = [...members.unresolved, ...absent.map((id) => `Patient/${id}`)];
  const out: ExportWarning[] = [];
  if (refs.length) {
    const message = `Group/${groupId}: ${refs.length} of its ${members.active} active members resolve to no Patient on this server and are left out: ${listed(refs)}`;
    out.push({ code: 'not-found', message });
  }
  if (whole && cohort.length === absent.length) {
    out.push({ code: 'not-found', message: `Group/${groupId}: no active member resolves to a Patient on this server, so the export holds no member's data` });
  }
  return out;
}

async function exists(repo: Repository, type: string, id: string): Promise<boolean> {
  try {
    await repo.read(type, id);
    return true;
  } catch (err) {
    if (isOperationOutcomeError(err) && (err.category === 'not-found' || err.category === 'gone')) return false;
    throw err;
  }
}

/**
 * The patients whose compartments a Patient or Group export covers, fixed at kick-off so the job does not depend
 * on later changes to the Group: the Group's members (read with the caller's policy, so an invisible Group is
 * 404), narrowed by the `patient` parameter and by the token's own patient bound. Undefined means every patient
 * (Patient level without `patient`, unbound token).
 */
export async function resolveCohort(
  repo: Repository,
  baseUrl: string,
  level: ExportLevel,
  target: { id?: string },
  requested: string[] | undefined,
  lenient: boolean,
  warnings: ExportWarning[],
): Promise<string[] | undefined> {
  const unknown = (message: string) => {
    if (!lenient) throw badRequest(message, 'patient');
    warnings.push(message);
  };
  if (level === 'group') {
    const group = JSON.parse((await repo.read('Group', target.id as string)).r) as Group;
    const members = groupMembers(group, baseUrl);
    let cohort = members.patients;
    if (requested) {
      const ids = new Set(cohort);
      for (const id of requested) if (!ids.has(id)) unknown(`Patient/${id} is not a member of Group/${target.id}`);
      cohort = requested.filter((id) => ids.has(id));
    }
    const narrowed = narrow(cohort, repo.policy) as string[];
    warnings.push(...(await unresolvedMembers(repo, target.id as string, members, narrowed, !requested)));
    return narrowed;
  }
  let cohort: string[] | undefined;
  if (level === 'patient' && requested) {
    cohort = [];
    for (const id of requested) {
      if (await exists(repo, 'Patient', id)) cohort.push(id);
      else unknown(`Patient/${id} is not known`);
    }
  }
  return narrow(cohort, repo.policy);
}

function narrow(cohort: string[] | undefined, policy: AccessPolicy): string[] | undefined {
  if (!policy.patientIds) return cohort;
  if (!cohort) return [...policy.patientIds];
  const bound = new Set(policy.patientIds);
  return cohort.filter((id) => bound.has(id));
}
