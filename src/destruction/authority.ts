import type { AccessInteraction, AccessPolicy } from '../auth/access-policy';
import { forbidden } from '../errors/operation-outcome-error';
import type { JobOwner } from '../jobs/job';

/**
 * Who may review and approve a destruction. Both act on every record, so neither may be bound to a patient or
 * restricted by a search (a patient token never; a granular scope would hide part of a record), and both are
 * named by the token's user (`fhirUser`, else `sub`) within its issuer: the two-person rule compares those.
 * Protected mode has no users, so it can review (to see what is due) but never approve.
 */
const REVIEW: readonly AccessInteraction[] = ['read', 'search'];
const APPROVE: readonly AccessInteraction[] = ['read', 'search', 'update', 'delete'];

/** The identity the two-person rule compares: issuer and user; undefined when the token names no user. */
export function identityOf(who: Pick<AccessPolicy, 'issuer' | 'user'> | JobOwner): string | undefined {
  return who.user ? `${who.issuer ?? ''}|${who.user}` : undefined;
}

function assertGrants(policy: AccessPolicy, types: readonly string[], interactions: readonly AccessInteraction[], what: string): void {
  if (policy.unrestricted) return;
  if (policy.patientIds) throw forbidden(`A token bound to a patient cannot ${what}`);
  for (const type of types) {
    for (const interaction of interactions) {
      if (!policy.allows(type, interaction) || policy.searchRestrictions(type, interaction)) {
        throw forbidden(
          `To ${what}, the access token must allow ${interactions.join(', ')} on every stored type, without a search restriction; it does not on ${type} (${interaction})`,
        );
      }
    }
  }
}

export function assertMayReview(policy: AccessPolicy, types: readonly string[]): void {
  assertGrants(policy, types, REVIEW, 'review records for destruction');
}

/** The approver's identity, once every rule of approval holds. */
export function assertMayApprove(policy: AccessPolicy, types: readonly string[], requester: JobOwner): string {
  if (policy.unrestricted) {
    throw forbidden('Destruction needs two authorised users, and protected mode (no authorization configured) has none: configure SMART authorization');
  }
  const approver = identityOf(policy);
  if (!approver) throw forbidden('The access token names no user (fhirUser or sub): the two-person rule of destruction cannot be checked');
  assertGrants(policy, types, APPROVE, 'approve a destruction');
  const reviewer = identityOf(requester);
  if (!reviewer) throw forbidden('The review was requested without a user identity (protected mode, or a token naming no user): it cannot be approved');
  if (reviewer === approver) throw forbidden('The two-person rule: the approver must be a different user from the one who requested the review');
  return approver;
}

/**
 * May this caller see a review it did not request, to decide on its approval? A user of the review's issuer who
 * could approve destruction (the grants of approval), other than the requester, whom the owner rule admits anyway.
 */
export function mayApprove(policy: AccessPolicy, types: readonly string[], requester: JobOwner): boolean {
  if (policy.unrestricted || policy.issuer !== requester.issuer) return false;
  try {
    assertMayApprove(policy, types, requester);
    return true;
  } catch {
    return false;
  }
}
