import type { Filter } from 'mongodb';
import type { AccessPolicy } from '../auth/access-policy';
import { parseScopes } from '../auth/scopes';
import { forbidden } from '../errors/operation-outcome-error';
import type { AccessContext, Job, JobOwner } from './job';

/** `patient` when the token is bound to a patient compartment, else `system` with any system/ grant, else `user`. */
function contextOf(policy: AccessPolicy): AccessContext {
  if (policy.patientIds) return 'patient';
  return parseScopes(policy.scopes).grants.some((g) => g.context === 'system') ? 'system' : 'user';
}

function accessContext(policy: AccessPolicy): JobOwner {
  if (policy.unrestricted) return { open: true, context: 'system' };
  const context = contextOf(policy);
  const owner: JobOwner = { issuer: policy.issuer, clientId: policy.clientId, user: policy.user, open: false, context };
  if (context === 'patient') owner.patients = [...new Set(policy.patientIds)].sort();
  if (policy.recipient?.outsideCoveredEntity) owner.recipient = policy.recipient;
  if (policy.purposeOfUse) owner.purposeOfUse = [...policy.purposeOfUse];
  return owner;
}

/** The access context a job records at kick-off, and that every later status, download and cancel must match. */
export function ownerOf(policy: AccessPolicy): JobOwner {
  if (!policy.unrestricted && !policy.clientId && !policy.user) {
    throw forbidden('The access token names no client, so the result of this asynchronous request could not be collected');
  }
  return accessContext(policy);
}

/**
 * The rule for status, cancel and download: the caller's access context is the kick-off's. Same issuer, same client (`client_id`;
 * the same user when the kick-off token named no client), same user when the kick-off token named one, same kind of
 * token (system, user, patient-bound) and the same patient compartment bound. Every patient and user of one SMART
 * app shares its client_id, so a patient token reaches only exports started for its own patient, and a system
 * token only its client's unbound exports. Anyone when the job was started with auth off.
 */
export function mayAccess(job: Pick<Job, 'owner'>, policy: AccessPolicy): boolean {
  const owner = job.owner;
  if (owner.open || policy.unrestricted) return true;
  if (owner.clientId === undefined && owner.user === undefined) return false;
  const caller = accessContext(policy);
  if (caller.issuer === undefined || caller.issuer !== owner.issuer || caller.clientId !== owner.clientId) return false;
  if (owner.user !== undefined && caller.user !== owner.user) return false;
  // A job stored before the context was recorded matches no patient-bound token.
  const context = owner.context ?? (caller.context === 'patient' ? undefined : caller.context);
  return caller.context === context && (caller.patients ?? []).join('\n') === (owner.patients ?? []).join('\n');
}

/**
 * mayAccess as a query on `bulk_jobs`: the jobs the caller may reach, so a listing reads only those. A missing field
 * and `null` match alike (`ignoreUndefined` stores an absent owner field as no field).
 */
export function accessFilter(policy: AccessPolicy): Filter<Job> {
  const open = { 'owner.open': true };
  if (policy.unrestricted) return {};
  const caller = accessContext(policy);
  // A kick-off token that named neither client nor user reaches no job but open ones; so does a caller without issuer.
  if (caller.issuer === undefined || (caller.clientId === undefined && caller.user === undefined)) return open;
  const user = caller.user === undefined ? null : caller.clientId === undefined ? caller.user : { $in: [caller.user, null] };
  const patients = caller.patients?.length ? caller.patients : { $in: [null, []] };
  const owned = {
    'owner.issuer': caller.issuer,
    'owner.clientId': caller.clientId ?? null,
    'owner.user': user,
    'owner.context': caller.context === 'patient' ? 'patient' : { $in: [caller.context, null] },
    'owner.patients': patients,
  };
  return { $or: [open, owned] };
}
