import type { Patient } from 'fhir/r4';
import type { Repository } from '../store/repository';
import { type CalendarDate, addPeriod, calendarDate } from './dates';
import { type Latest, hasAny, latestDate } from './latest-date';
import { ENCOUNTER_DATE, type Policy, type Rule, type Trigger } from './policy';
import type { TriggerKind } from './policy-file';
import type { RetentionSearch } from './search-access';

/**
 * A record's retention schedule on a date. The record is retained as a whole:
 * - a rule applies when the patient meets its conditions and, for a scoped rule, the record holds at least one
 *   live resource its scope matches; a condition that cannot be decided (no birth date, no encounter) makes it
 *   not apply;
 * - each trigger gives a date (the end of the last encounter that counts, the date of death, the birth date, the
 *   birth date plus the age of majority, or the latest own date of the scope's resources) plus its period; a
 *   trigger with nothing to count from (no death date) gives none; the rule's destroy-after is the LATEST date its
 *   triggers give;
 * - a trigger still open (an encounter, or a scoped resource's period, without an end), or a rule none of whose
 *   triggers has a date, leaves the rule without a destroy-after: the record is not due;
 * - the record's destroy-after is the LATEST any applicable rule gives; the rule giving it governs (the first in
 *   the file on a tie); when a rule has none, the record has none and that rule governs. No applicable rule: the
 *   record is kept, with no destroy-after;
 * - the record is due when the evaluation date (in the policy's zone) is on or after its destroy-after. Its
 *   action is `review` when any applicable rule says review, else `destroy`.
 */
export interface TriggerOutcome {
  on: TriggerKind;
  /** The date counted from (absent: nothing to count from, or open). */
  date?: CalendarDate;
  open?: boolean;
  destroyAfter?: CalendarDate;
  /** The resource the date was read from (the last Encounter, the latest scoped resource). */
  resource?: string;
}

export interface RuleOutcome {
  rule: Rule;
  triggers: TriggerOutcome[];
  /** The trigger giving the latest destroy-after. */
  governing?: TriggerOutcome;
  destroyAfter?: CalendarDate;
}

export interface Schedule {
  /** The evaluation date in the policy's zone. */
  date: CalendarDate;
  applicable: RuleOutcome[];
  governing?: RuleOutcome;
  destroyAfter?: CalendarDate;
  action?: 'destroy' | 'review';
  /** The destroy-after has come. */
  due: boolean;
  /** Why there is no destroy-after, or why a rule did not apply, in words. */
  notes: string[];
}

/** What the rules ask of the patient and the record, each looked up once. */
class RecordFacts {
  private lastEncounterValue?: Promise<Latest>;
  constructor(
    readonly policy: Policy,
    readonly repo: Repository,
    readonly search: RetentionSearch,
    readonly patientId: string,
    readonly patient: Patient,
    readonly date: CalendarDate,
  ) {}

  lastEncounter(): Promise<Latest> {
    this.lastEncounterValue ??= latestDate(
      this.repo,
      this.patientId,
      { type: 'Encounter', code: ENCOUNTER_DATE, filter: this.policy.lastEncounter.filter },
      this.search,
      this.policy.timeZone,
    );
    return this.lastEncounterValue;
  }

  get birth(): CalendarDate | undefined {
    return this.patient.birthDate ? calendarDate(this.patient.birthDate, this.policy.timeZone) : undefined;
  }

  get majority(): CalendarDate | undefined {
    const birth = this.birth;
    return birth && addPeriod(birth, this.policy.ageOfMajority);
  }

  get deceased(): boolean {
    return this.patient.deceasedBoolean === true || typeof this.patient.deceasedDateTime === 'string';
  }

  get death(): CalendarDate | undefined {
    return this.patient.deceasedDateTime ? calendarDate(this.patient.deceasedDateTime, this.policy.timeZone) : undefined;
  }
}

/** Why a rule does not apply, or undefined when it does. */
async function notApplying(rule: Rule, facts: RecordFacts): Promise<string | undefined> {
  const c = rule.conditions;
  if (c.deceased !== undefined && c.deceased !== facts.deceased) return 'skip';
  if (c.minorAtLastEncounter !== undefined) {
    const majority = facts.majority;
    if (!majority) return `rule ${rule.id}: the Patient has no birth date, so whether it was a minor cannot be decided`;
    const last = await facts.lastEncounter();
    // An encounter still open is care going on: the patient's age now decides.
    const at = last.kind === 'date' ? last.date : last.kind === 'open' ? facts.date : undefined;
    if (!at) return `rule ${rule.id}: the record has no dated encounter, so whether the patient was a minor at the last one cannot be decided`;
    if (at < majority !== c.minorAtLastEncounter) return 'skip';
  }
  if (rule.scope) {
    for (const s of rule.scope) if (await hasAny(facts.repo, facts.patientId, s.type, s.filter)) return undefined;
    return 'skip';
  }
  return undefined;
}

/** The latest own date of the scope's resources: open when any is open. */
async function scopedDate(rule: Rule, trigger: Trigger, facts: RecordFacts): Promise<Latest> {
  let best: Latest = { kind: 'none' };
  for (const s of rule.scope ?? []) {
    const found = await latestDate(facts.repo, facts.patientId, { type: s.type, code: trigger.param!, filter: s.filter }, facts.search, facts.policy.timeZone);
    if (found.kind === 'open') return found;
    if (found.kind === 'date' && (best.kind !== 'date' || found.date > best.date)) best = found;
  }
  return best;
}

async function triggerOutcome(rule: Rule, t: Trigger, facts: RecordFacts): Promise<TriggerOutcome> {
  const dated = (date: CalendarDate | undefined, resource?: string): TriggerOutcome =>
    date ? { on: t.on, date, destroyAfter: addPeriod(date, t.period), ...(resource ? { resource } : {}) } : { on: t.on };
  const fromLatest = (l: Latest): TriggerOutcome =>
    l.kind === 'open' ? { on: t.on, open: true, resource: l.resource } : l.kind === 'date' ? dated(l.date, l.resource) : { on: t.on };
  switch (t.on) {
    case 'last-encounter-end':
      return fromLatest(await facts.lastEncounter());
    case 'resource-date':
      return fromLatest(await scopedDate(rule, t, facts));
    case 'death':
      return dated(facts.death);
    case 'birth':
      return dated(facts.birth);
    case 'majority':
      return dated(facts.majority);
  }
}

async function ruleOutcome(rule: Rule, facts: RecordFacts): Promise<RuleOutcome> {
  const triggers: TriggerOutcome[] = [];
  for (const t of rule.triggers) triggers.push(await triggerOutcome(rule, t, facts));
  if (triggers.some((t) => t.open)) return { rule, triggers };
  let governing: TriggerOutcome | undefined;
  for (const t of triggers) if (t.destroyAfter && (!governing || t.destroyAfter > governing.destroyAfter!)) governing = t;
  return { rule, triggers, governing, destroyAfter: governing?.destroyAfter };
}

function explain(outcome: RuleOutcome): string {
  const open = outcome.triggers.find((t) => t.open);
  if (open) return `rule ${outcome.rule.id}: ${open.resource} has no end yet, so the retention period has not started`;
  return `rule ${outcome.rule.id}: none of its triggers (${outcome.triggers.map((t) => t.on).join(', ')}) has a date in this record`;
}

/** The schedule of `Patient/patientId` on `date`, every read through `repo` (its policy bounds what is seen). */
export async function scheduleOf(policy: Policy, search: RetentionSearch, repo: Repository, patientId: string, date: CalendarDate): Promise<Schedule> {
  const patient = JSON.parse((await repo.read('Patient', patientId)).r) as Patient;
  const facts = new RecordFacts(policy, repo, search, patientId, patient, date);
  const notes: string[] = [];
  const applicable: RuleOutcome[] = [];
  for (const rule of policy.rules) {
    const why = await notApplying(rule, facts);
    if (why === undefined) applicable.push(await ruleOutcome(rule, facts));
    else if (why !== 'skip') notes.push(why);
  }
  if (applicable.length === 0) {
    notes.push('no rule of the retention policy applies to this record: it is kept');
    return { date, applicable, due: false, notes };
  }
  const action = applicable.some((o) => o.rule.action === 'review') ? 'review' : 'destroy';
  const undetermined = applicable.find((o) => !o.destroyAfter);
  if (undetermined) return { date, applicable, governing: undetermined, action, due: false, notes: [...notes, explain(undetermined)] };
  let governing = applicable[0];
  for (const o of applicable) if (o.destroyAfter! > governing.destroyAfter!) governing = o;
  const destroyAfter = governing.destroyAfter!;
  return { date, applicable, governing, destroyAfter, action, due: date >= destroyAfter, notes };
}
