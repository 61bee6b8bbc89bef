import type { Duration } from 'luxon';
import type { Filter } from 'mongodb';
import { isStorableType } from '../fhir/resource-types';
import type { StoredDocument } from '../store/stored-document';
import { assertTimeZone, parsePeriod } from './dates';
import { Membership } from './membership';
import type { PolicyFile, RuleSpec, TriggerKind } from './policy-file';
import type { RetentionSearch } from './search-access';

/** A rule of the policy, its scope compiled to filters and its periods parsed, ready for the schedule. */
export interface Rule {
  id: string;
  title: string;
  action: 'destroy' | 'review';
  /** Absent: every record meeting the conditions. */
  scope?: ScopeEntry[];
  conditions: { minorAtLastEncounter?: boolean; deceased?: boolean };
  triggers: Trigger[];
}

export interface ScopeEntry {
  /** As written: `DocumentReference?category=...`. */
  text: string;
  type: string;
  filter: Filter<StoredDocument>;
}

export interface Trigger {
  on: TriggerKind;
  period: Duration;
  /** resource-date: the date search parameter of every scope type. */
  param?: string;
}

/** The policy in force: the enabled rules, the calendar they count in, and the record's membership. */
export interface Policy {
  source: string;
  notice: string;
  timeZone: string;
  ageOfMajority: Duration;
  /** The Encounters that count for last-encounter-end and the minor condition. */
  lastEncounter: { filter: Filter<StoredDocument> };
  rules: Rule[];
  membership: Membership;
  /** Type -> the date parameters the schedule sorts it by (each gets the `retention_<param>` index). */
  sortedDates: ReadonlyMap<string, ReadonlySet<string>>;
}

/** The Encounter date parameter (Encounter.period) whose end is the encounter's end. */
export const ENCOUNTER_DATE = 'date';

function compileRule(spec: RuleSpec, search: RetentionSearch, where: string): Rule {
  const at = `${where}: rule ${spec.id}`;
  const period = (text: string | undefined, field: string) => {
    if (text === undefined) throw new Error(`${at}: ${field} has no period and the rule gives none`);
    try {
      return parsePeriod(text);
    } catch (err) {
      throw new Error(`${at}: ${field}: ${(err as Error).message}`, { cause: err });
    }
  };
  const scope = spec.scope?.map((text): ScopeEntry => {
    const [type, query = ''] = text.split(/\?(.*)/s);
    if (!isStorableType(type)) throw new Error(`${at}: scope ${text}: ${type} is not a resource type`);
    try {
      return { text, type, filter: search.filter(type, query) };
    } catch (err) {
      throw new Error(`${at}: scope ${text} is not a search on ${type} this server can run: ${(err as Error).message}`, { cause: err });
    }
  });
  if (spec.period !== undefined) period(spec.period, 'period');
  const triggers = spec.triggers.map((t, i): Trigger => {
    const field = `triggers[${i}] (${t.on})`;
    if (t.on === 'resource-date') {
      if (!scope) throw new Error(`${at}: ${field}: a resource's own date needs a scope`);
      if (!t.param) throw new Error(`${at}: ${field}: give the date search parameter (param)`);
      for (const s of scope) {
        if (!search.isDateParam(s.type, t.param)) throw new Error(`${at}: ${field}: ${s.type} has no date search parameter '${t.param}'`);
      }
    } else if (t.param !== undefined) {
      throw new Error(`${at}: ${field}: param is for resource-date triggers only`);
    }
    return { on: t.on, period: period(t.period ?? spec.period, field), param: t.param };
  });
  return { id: spec.id, title: spec.title, action: spec.action, scope, conditions: spec.conditions ?? {}, triggers };
}

/** Compiles a checked policy file; anything that cannot work stops start-up naming the file and the rule. */
export function compilePolicy(file: PolicyFile, search: RetentionSearch, source: string): Policy {
  const where = `Retention policy ${source}`;
  try {
    assertTimeZone(file.timeZone);
  } catch (err) {
    throw new Error(`${where}: timeZone: ${(err as Error).message}`, { cause: err });
  }
  let ageOfMajority: Duration;
  try {
    ageOfMajority = parsePeriod(file.ageOfMajority);
  } catch (err) {
    throw new Error(`${where}: ageOfMajority: ${(err as Error).message}`, { cause: err });
  }
  let encounters: Filter<StoredDocument>;
  try {
    encounters = search.filter('Encounter', file.lastEncounter?.query ?? '');
  } catch (err) {
    throw new Error(`${where}: lastEncounter.query is not a search on Encounter this server can run: ${(err as Error).message}`, { cause: err });
  }
  // Every rule is checked, the disabled ones too: switching one on must not be what breaks start-up.
  const compiled = file.rules.map((r) => ({ rule: compileRule(r, search, where), enabled: r.enabled !== false }));
  const rules = compiled.filter((r) => r.enabled).map((r) => r.rule);
  const sortedDates = new Map<string, Set<string>>([['Encounter', new Set([ENCOUNTER_DATE])]]);
  for (const rule of rules) {
    for (const t of rule.triggers) {
      if (t.on !== 'resource-date') continue;
      for (const s of rule.scope ?? []) {
        if (!sortedDates.has(s.type)) sortedDates.set(s.type, new Set());
        sortedDates.get(s.type)!.add(t.param!);
      }
    }
  }
  return {
    source,
    notice: file.notice,
    timeZone: file.timeZone,
    ageOfMajority,
    lastEncounter: { filter: encounters },
    rules,
    membership: new Membership(file.membership, where),
    sortedDates,
  };
}
