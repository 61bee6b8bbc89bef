import type { Group } from 'fhir/r4';
import type { AccessPolicy } from '../auth/access-policy';
import { badRequest, isOperationOutcomeError } from '../errors/operation-outcome-error';
import type { Repository } from '../store/repository';
import type { ExportLevel } from './parameters';

/** The patient ids a Group's active members reference (relative `Patient/x` or absolute on this server). */
export function groupPatientIds(group: Group, baseUrl: string): string[] {
  const ids = new Set<string>();
  for (const member of group.member ?? []) {
    if (member.inactive === true) continue;
    let ref = member.entity?.reference ?? '';
    if (ref.startsWith(`${baseUrl}/`)) ref = ref.slice(baseUrl.length + 1);
    const m = /^Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(ref);
    if (m) ids.add(m[1]);
  }
  return [...ids];
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
  warnings: string[],
): Promise<string[] | undefined> {
  const unknown = (message: string) => {
    if (!lenient) throw badRequest(message, 'patient');
    warnings.push(message);
  };
  let cohort: string[] | undefined;
  if (level === 'group') {
    const group = JSON.parse((await repo.read('Group', target.id as string)).r) as Group;
    cohort = groupPatientIds(group, baseUrl);
    if (requested) {
      const members = new Set(cohort);
      for (const id of requested) if (!members.has(id)) unknown(`Patient/${id} is not a member of Group/${target.id}`);
      cohort = requested.filter((id) => members.has(id));
    }
  } else if (level === 'patient' && requested) {
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
