import { unrestrictedPolicy, type AccessPolicy } from '../auth/access-policy';
import { SmartAccessPolicy, type AccessTokenClaims } from '../auth/smart-policy';
import { forbidden } from '../errors/operation-outcome-error';

/**
 * The kick-off caller's access, stored with a job so that whichever instance runs it later reads and writes under
 * the same policy: the token's verified claims (the policy is rebuilt from them), or protected mode's full access.
 * The token may have expired by then; what the job may do was decided when it was accepted, as for `$export`.
 */
export type JobGrant = { unrestricted: true } | { claims: AccessTokenClaims };

export function grantOf(policy: AccessPolicy): JobGrant {
  if (policy.unrestricted) return { unrestricted: true };
  if (policy instanceof SmartAccessPolicy) return { claims: policy.claims };
  throw forbidden('This caller cannot start an asynchronous job: its access cannot be carried over to the job');
}

export function policyOf(grant: JobGrant): AccessPolicy {
  return 'claims' in grant ? new SmartAccessPolicy(grant.claims) : unrestrictedPolicy;
}
