import type { Resource } from 'fhir/r4';
import type { IndexDescription } from 'mongodb';
import type { SearchContext } from '../search';
import type { Repository } from '../store/repository';
import { type CalendarDate, dateAt } from './dates';
import type { Hold } from './hold';
import { holdsOnRecords } from './holds-in-force';
import { retentionIndexSpec } from './latest-date';
import type { RecordRole, TypeMembership } from './membership';
import { type Policy, compilePolicy } from './policy';
import { readPolicyFile } from './policy-file';
import { type Schedule, scheduleOf } from './schedule';
import { type RetentionSearch, retentionSearch } from './search-access';

/**
 * Record retention (issue 20, first half): the retention policy (data: default-policy.json or
 * RETENTION_POLICY_FILE), each record's schedule (`Patient/[id]/$retention`), and legal holds (`$hold`,
 * `$release-hold`, the write hook that refuses deletes of held data). README.md, "Retention and legal holds".
 */
export { assertNotHeld, holdsOnRecords, openHoldsNaming, heldConflict, legalHoldHook, writingHolds } from './holds-in-force';
export { type Hold, type HoldAct, RECORD_MANAGEMENT_SYSTEM, LEGAL_HOLD_CODE, HOLD_EXTENSION, holdOf, isHoldResource } from './hold';
export type { RecordRole, TypeMembership } from './membership';
export type { RemoveSpec } from './policy-file';
export type { CalendarDate } from './dates';

/** A record's retention on a date: its schedule and the holds in force. */
export interface RecordRetention {
  patientId: string;
  /** The evaluation date, in the policy's time zone. */
  date: CalendarDate;
  /** The governing rule's id (absent: no rule applies, the record is kept). */
  rule?: string;
  /** review when any applicable rule says review. */
  action?: 'destroy' | 'review';
  /** The governing rule's trigger and the date it counts from. */
  trigger?: string;
  triggerDate?: CalendarDate;
  /** The earliest destruction date (absent: not determinable yet, or no rule applies). */
  destroyAfter?: CalendarDate;
  /** The destroy-after has come. */
  due: boolean;
  /** Due, the action is destroy, and no hold is in force: the record may be destroyed. */
  eligible: boolean;
  /** Open holds on the record or any resource of it, whoever may read them. */
  holds: Hold[];
  /** The whole evaluation, for explanations. */
  schedule: Schedule;
}

export class Retention {
  private readonly search: RetentionSearch;

  constructor(
    readonly policy: Policy,
    search: RetentionSearch,
  ) {
    this.search = search;
  }

  /**
   * The indexes the schedule's sorted queries need on `type`'s collection (`{c: 1, s.o.<param>.d: -1}` for
   * Encounter.date and each scoped resource-date parameter), added to the search layer's.
   */
  indexSpecs(type: string): IndexDescription[] {
    return [...(this.policy.sortedDates.get(type) ?? [])].map(retentionIndexSpec);
  }

  /**
   * The retention of `Patient/patientId` on calendar date `date` (policy zone). The schedule is read through
   * `repo` (its policy bounds what is seen: give a repository that sees the whole record; a hidden Patient is 404);
   * holds are read whatever the caller may see. Holds are those in force now, whatever the date.
   */
  async retentionOn(repo: Repository, patientId: string, date: CalendarDate): Promise<RecordRetention> {
    const schedule = await scheduleOf(this.policy, this.search, repo, patientId, date);
    const holds = await holdsOnRecords(repo.privileged(), [patientId]);
    const governing = schedule.governing?.governing;
    return {
      patientId,
      date: schedule.date,
      rule: schedule.governing?.rule.id,
      action: schedule.action,
      trigger: governing?.on,
      triggerDate: governing?.date,
      destroyAfter: schedule.destroyAfter,
      due: schedule.due,
      eligible: schedule.due && schedule.action === 'destroy' && holds.length === 0,
      holds,
      schedule,
    };
  }

  /** `retentionOn` the date `at` falls on in the policy's zone (default: now). */
  retentionOf(repo: Repository, patientId: string, at: Date = new Date()): Promise<RecordRetention> {
    return this.retentionOn(repo, patientId, dateAt(at, this.policy.timeZone));
  }

  /** How resources of `type` belong to a record: the elements that make them the patient's, sharing, removals. */
  membershipOf(type: string): TypeMembership {
    return this.policy.membership.of(type);
  }

  /** What `resource` is to the record of `Patient/patientId`: member, shared, kept or none. */
  roleOf(resource: Resource, patientId: string, baseUrl?: string): RecordRole {
    return this.policy.membership.roleOf(resource, patientId, baseUrl);
  }
}

/** The server's retention policy, read and compiled at start-up (a mistake stops it, naming the file and the rule). */
export function retentionFromEnv(env: Record<string, string | undefined>, search: SearchContext): Retention {
  const { file, source } = readPolicyFile(env);
  const access = retentionSearch(search);
  return new Retention(compilePolicy(file, access, source), access);
}
