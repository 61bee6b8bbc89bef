import type { AccessPolicy } from '../auth/access-policy';
import { forbidden } from '../errors/operation-outcome-error';

/**
 * Who may merge (and unmerge) patients. Merging rewrites two people's records, so it needs an explicit grant:
 * - a token without patient context (`user/` or `system/`): a token bound to a patient is refused outright, before
 *   anything is read, so it learns nothing about the other patient;
 * - read and update on Patient, and on every type whose resources the merge would change, none restricted by a
 *   SMART v2 search (a merge cannot move part of a record): otherwise 403 naming the types, before anything is
 *   written. The types are those of the resources found referencing the source (or, for an unmerge, those the
 *   merge's Provenance lists).
 * The Provenance recording it is the server's own record, written whatever the token's Provenance grants. In
 * protected mode (no authorization configured) the unrestricted policy may merge.
 */
export function assertMayMerge(policy: AccessPolicy, operation: string, types: Iterable<string> = []): void {
  if (policy.unrestricted) return;
  if (policy.patientIds) throw forbidden(`${operation} changes two patients' records: it needs a user or system token, not one bound to a patient`);
  const lacking = [...new Set(['Patient', ...types])].filter((type) => !mayRewrite(policy, type)).sort();
  if (lacking.length) {
    throw forbidden(`${operation} needs read and update, without a search restriction, on every type it changes; the access token lacks them on ${lacking.join(', ')}`);
  }
}

function mayRewrite(policy: AccessPolicy, type: string): boolean {
  return (['read', 'update'] as const).every((i) => policy.allows(type, i) && !policy.searchRestrictions(type, i));
}
