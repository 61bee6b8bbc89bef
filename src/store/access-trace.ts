import type { ExportJobRef, LifecycleEvent } from '../audit/audit-input';

/**
 * What one request's repository handed out or changed: the resources and the patient compartments they belong to.
 * The audit trail records exactly this, so an AuditEvent names every patient whose data left the server,
 * including through _include, _revinclude and bundle entries.
 */
export class AccessTrace {
  readonly resources = new Set<string>();
  readonly patients = new Set<string>();
  /**
   * The bulk export job a `$export` kick-off created, or a status, download or cancel request named, so their
   * AuditEvents can be found by the job's id.
   */
  exportJob?: ExportJobRef;
  /**
   * A token request's claimed client (authenticated only when the answer is 200) and, when refused, why: the
   * token endpoint answers OAuth JSON rather than throwing, so the audit trail learns its outcome here.
   */
  tokenRequest?: { clientId?: string; refusal?: string };
  /** The record lifecycle event an operation performed (a legal hold placed or released), set once it is done. */
  lifecycle?: LifecycleEvent;

  add(type: string, id: string, compartments: readonly string[] | undefined): void {
    if (this.resources.size < 1000) this.resources.add(`${type}/${id}`);
    if (type === 'Patient') this.patients.add(id);
    for (const c of compartments ?? []) if (c.startsWith('Patient/')) this.patients.add(c.slice(8));
  }
}

/** `docs` as they are, each recorded by `record` as it is handed on. */
export async function* traced<T>(docs: AsyncIterable<T>, record: (doc: T) => void): AsyncIterable<T> {
  for await (const doc of docs) {
    record(doc);
    yield doc;
  }
}
