import type { Resource } from 'fhir/r4';
import { attachmentsOf } from '../binary/attachments';

/**
 * What a resource is to one patient's record: `member` (destroyed with it), `shared` (kept, the patient's
 * references removed), `kept` (a type destruction never touches: the audit trail) or `none`.
 */
export type RecordRole = 'member' | 'shared' | 'kept' | 'none';

/** Which resources make up a patient's record: the retention rules' membership (src/retention/). */
export interface RecordMembership {
  roleOf(resource: Resource, patientId: string, baseUrl?: string): RecordRole;
}

/**
 * Types that go with the record when every resource they name through the given element goes, whatever
 * membership says of them: a Binary with the resource its securityContext names (an attachment has no patient of its
 * own), a Provenance with its targets. Found by the index entry named (src/search/security-context-entry.ts, the
 * `target` search parameter).
 */
export const DEPENDENTS: ReadonlyArray<{ type: string; entry: string }> = [
  { type: 'Binary', entry: '_security-context' },
  { type: 'Provenance', entry: 'target' },
];

/**
 * The audit trail is never destroyed: its events about a destroyed record stay (their identifying text unreadable
 * once the record's key is gone, src/audit/query-text.ts) and its hash chain stays intact. Destruction does not even
 * look at it.
 */
export const NEVER_DESTROYED: ReadonlySet<string> = new Set(['AuditEvent']);

/** `Binary/<id>` of this server, relative (as attachments moved out on write are) or under any base. */
const BINARY_URL = /(?:^|\/)Binary\/([A-Za-z0-9\-.]{1,64})$/;

/**
 * The Binaries of this server a resource's attachments point to (`url`). A Binary with a securityContext goes with
 * what that names (DEPENDENTS); one without any goes with the record whose attachment points to it, as it holds
 * that record's content and no rule ties it to anyone else.
 */
export function attachedBinaryIds(resource: Resource): string[] {
  const ids: string[] = [];
  for (const a of attachmentsOf(resource)) {
    const id = a.url === undefined ? undefined : BINARY_URL.exec(a.url)?.[1];
    if (id) ids.push(id);
  }
  return ids;
}
