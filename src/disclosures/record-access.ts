import type { Patient } from 'fhir/r4';
import type { AccessPolicy } from '../auth/access-policy';
import { forbidden, notFound } from '../errors/operation-outcome-error';
import type { RouterContext } from '../router/context';
import { AccessTrace } from '../store/access-trace';
import type { Repository } from '../store/repository';

/** How many records one accounting follows through `replaces` links, at most (a chain of merges). */
const MAX_RECORDS = 100;

/**
 * A patient's record as the accounting and the access report read it: the patient's id and the ids of the records
 * merged into it, and a repository to read their AuditEvents with (the caller's policy, or the patient's own record
 * for the patient themself), which traces nothing: the request's AuditEvent names the patient, not every event read.
 */
export interface PatientRecord {
  id: string;
  /** `id` first, then the records it replaces (transitively). */
  ids: string[];
  events: Repository;
}

/** The AuditEvents of the patient's own record, for the patient asking for their accounting or access report. */
function ownRecordPolicy(caller: AccessPolicy, ids: readonly string[]): AccessPolicy {
  return {
    clientId: caller.clientId,
    user: caller.user,
    tokenId: caller.tokenId,
    scopes: [],
    unrestricted: false,
    patientIds: ids,
    allows: (type, interaction) => type === 'AuditEvent' && (interaction === 'read' || interaction === 'search'),
    searchRestrictions: () => undefined,
  };
}

/**
 * The ids a record answers for: `id` and, after a merge, the records its Patient's `replaces` links name (followed
 * transitively, each once), read as stored whoever asks: events recorded under an old id still count.
 */
export async function recordIds(bookkeeping: Repository, id: string): Promise<string[]> {
  const ids = [id];
  for (let next = [id]; next.length && ids.length < MAX_RECORDS;) {
    const found: string[] = [];
    for await (const doc of bookkeeping.findVersions('Patient', { _id: { $in: next } }, { projection: { r: 1 } })) {
      const patient = JSON.parse(doc.r) as Patient;
      for (const link of patient.link ?? []) {
        const m = link.type === 'replaces' ? /^Patient\/([^/]+)$/.exec(link.other?.reference ?? '') : null;
        if (m && !ids.includes(m[1]) && !found.includes(m[1])) found.push(m[1]);
      }
    }
    next = found.slice(0, MAX_RECORDS - ids.length);
    ids.push(...next);
  }
  return ids;
}

/** 404 unless Patient `id` was ever stored (a deleted or merged-away record still has its accounting). */
export async function assertPatientKnown(bookkeeping: Repository, id: string): Promise<void> {
  if (!(await bookkeeping.findVersions('Patient', { _id: id }, { projection: { _id: 1 }, limit: 1 }).hasNext())) throw notFound(`Patient/${id} is not known`);
}

/**
 * Who may ask for a patient's accounting or access report: a caller allowed to search AuditEvents (its policy
 * bounds what it reads), and the patient themself (a token bound to that patient that may read the Patient).
 * Another patient's record answers 404 like any hidden resource; a caller without either right 403.
 */
export async function patientRecord(ctx: RouterContext, id: string): Promise<PatientRecord> {
  const policy = ctx.repo.policy;
  const bookkeeping = ctx.repo.privileged();
  const untraced = new AccessTrace();
  if (policy.patientIds) {
    if (!policy.patientIds.includes(id)) throw notFound(`Patient/${id} is not known`);
    await ctx.repo.read('Patient', id);
    const ids = await recordIds(bookkeeping, id);
    return { id, ids, events: ctx.repo.as(ownRecordPolicy(policy, ids), untraced) };
  }
  if (!policy.allows('AuditEvent', 'search')) {
    throw forbidden(`The access token does not allow reading AuditEvents, which a patient's accounting and access report are made from`);
  }
  await assertPatientKnown(bookkeeping, id);
  ctx.repo.trace?.add('Patient', id, []);
  return { id, ids: await recordIds(bookkeeping, id), events: ctx.repo.as(policy, untraced) };
}
