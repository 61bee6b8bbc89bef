import type { Filter } from 'mongodb';
import type { AccessInteraction, AccessPolicy } from '../auth/access-policy';
import { belongsToPatients, patientAccessOf } from '../fhir/patient-access';
import type { HistoryDocument, StoredDocument } from './stored-document';

/**
 * The MongoDB filter that bounds what a patient-bound policy may see of one type, by the type's rule
 * (src/fhir/patient-access.ts): its patients' compartments, nothing of a hidden type, no bound at all on a shared
 * one. A Binary is read by its securityContext target, which no filter can express (the repository checks it at
 * read time), so a bound policy can neither search it nor read its history. Applied by the repository to every
 * query it runs (reads, searches, includes, chains, history, conditional matches), never at the route.
 * Returns undefined when the policy does not restrict the type.
 */
export function compartmentFilter(policy: AccessPolicy, type: string, access: Access | 'history' = 'read'): Filter<StoredDocument> | undefined {
  if (!policy.patientIds) return undefined;
  const rule = patientAccessOf(type);
  switch (rule.kind) {
    case 'shared':
      return undefined;
    case 'hidden':
      return NOTHING;
    case 'security-context':
      return access === 'read' ? undefined : NOTHING;
    default: {
      const own = policy.patientIds.map((id) => `Patient/${id}`);
      if (LISTS_OF_PATIENTS.has(type) && !policy.patientCohort) {
        return { $and: [{ c: { $in: own } }, { c: { $not: { $elemMatch: { $nin: own } } } }] };
      }
      return { c: { $in: own } };
    }
  }
}

/**
 * Types whose resources list patients rather than being about one: an AuditEvent of a request that touched several
 * patients (a system search), a Group's members, a Contract's parties. Showing one to a member would disclose the
 * others' ids (and the event's query), so a bound token sees only those naming no other patient.
 */
const LISTS_OF_PATIENTS: ReadonlySet<string> = new Set(['AuditEvent', 'Group', 'Contract']);

/**
 * False when the policy is bound to patients and `type` is not patient data (Organization, Practitioner, Medication,
 * ...) or is hidden from it: such a token may at most read these resources, never create, change or delete them.
 */
export function mayWriteType(policy: AccessPolicy, type: string): boolean {
  return !policy.patientIds || belongsToPatients(type);
}

/**
 * True when a resource with these compartments may be written by the policy: it must be in one of the policy's
 * patient compartments and in no other patient's, or naming the caller's patient next to another one (Observation
 * subject B, performer A) would write into B's record.
 */
export function compartmentAllowsWrite(policy: AccessPolicy, type: string, compartments: readonly string[]): boolean {
  if (!policy.patientIds || !belongsToPatients(type)) return true;
  const own = new Set(policy.patientIds.map((id) => `Patient/${id}`));
  const patients = compartments.filter((c) => c.startsWith('Patient/'));
  return patients.length > 0 && patients.every((c) => own.has(c));
}

/** The AND of `parts` without the empty ones: `{}` when none remain, the part itself when one does. */
export function allOf<T>(...parts: Filter<T>[]): Filter<T> {
  const kept = parts.filter((p) => Object.keys(p).length > 0);
  return kept.length === 0 ? {} : kept.length === 1 ? kept[0] : ({ $and: kept } as Filter<T>);
}

/** Matches no document: what a caller sees of a type its token does not cover. */
export const NOTHING: Filter<StoredDocument> = { _id: { $in: [] } };

/**
 * How a query reaches a type: 'search' needs the search grant (SMART v2 `s`); 'read' sees what the caller may read
 * by id, which a search grant covers too (a search by `_id` finds the same resources).
 */
export type Access = 'read' | 'search';

/** Compiles a SMART v2 granular scope's query (`category=problem-list-item`) to a filter (the search layer's). */
export type RestrictionCompiler = (type: string, query: string) => Filter<StoredDocument>;

/**
 * Everything one policy adds to the repository's queries: the compartment bound, and the SMART v2 granular scope
 * queries compiled by the search layer and OR-ed.
 */
export class PolicyFilters {
  constructor(
    private readonly policy: AccessPolicy,
    private readonly compile?: RestrictionCompiler,
  ) {}

  /**
   * What the policy adds to any query on the current versions of `type`: nothing visible without the grant
   * `access` needs, the patient compartment bound, and the granular scope queries.
   */
  current(type: string, access: Access = 'read'): Filter<StoredDocument>[] {
    const policy = this.policy;
    if (policy.unrestricted) return [];
    if (!policy.allows(type, 'search') && (access === 'search' || !policy.allows(type, 'read'))) return [NOTHING];
    const out: Filter<StoredDocument>[] = [];
    const bound = compartmentFilter(policy, type, access);
    if (bound) out.push(bound);
    const restriction = this.restriction(type, policy.searchRestrictions(type, 'read') ?? policy.searchRestrictions(type, 'search'));
    if (restriction) out.push(restriction);
    return out;
  }

  /**
   * What a reference check may confirm exists: what the caller may read of `type` (compartment, granular scopes).
   * Of a type it may not read at all, what lies in its compartment: a write-only loader must be able to reference
   * the Patient it writes for.
   */
  referable(type: string): Filter<StoredDocument>[] {
    const policy = this.policy;
    if (policy.unrestricted || policy.allows(type, 'read') || policy.allows(type, 'search')) return this.current(type);
    const bound = compartmentFilter(policy, type);
    return bound ? [bound] : [];
  }

  /** The granular scope restriction on a write interaction, when the policy has one for `type`. */
  write(type: string, interaction: AccessInteraction): Filter<StoredDocument> | undefined {
    return this.policy.unrestricted ? undefined : this.restriction(type, this.policy.searchRestrictions(type, interaction));
  }

  /**
   * Past versions carry compartments but no search index, so a granular-scope restriction cannot be checked on
   * them: such a token sees no history of that type (narrower, never wider).
   */
  history(type: string, filter: Filter<HistoryDocument>): Filter<HistoryDocument> {
    if (this.policy.unrestricted) return filter;
    if (this.policy.searchRestrictions(type, 'read')) return allOf(filter, NOTHING as Filter<HistoryDocument>);
    return allOf(filter, (compartmentFilter(this.policy, type, 'history') ?? {}) as Filter<HistoryDocument>);
  }

  /** Granular scope queries compiled and OR-ed; undefined when there are none. */
  private restriction(type: string, queries: readonly string[] | undefined): Filter<StoredDocument> | undefined {
    if (!queries?.length) return undefined;
    if (!this.compile) return NOTHING;
    const ors = queries.map((q) => this.compile!(type, q));
    return ors.length === 1 ? ors[0] : { $or: ors };
  }
}
