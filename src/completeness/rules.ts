import type { Filter } from 'mongodb';
import type { AccessPolicy } from '../auth/access-policy';
import { forbidden } from '../errors/operation-outcome-error';
import type { StoredDocument } from '../store/stored-document';
import { compilePath, type Path } from './fhirpath';
import type { RuleSpec, RulesFile } from './rules-file';
import type { SearchAccess } from './search-access';
import { assertTimeZone, durationMs } from './time';

/** A rule of the rules file, its queries compiled to filters and its FHIRPath compiled, ready for the evaluator. */
export interface Rule {
  id: string;
  title: string;
  description?: string;
  scope: {
    type: string;
    /** The scope's query as written, and its filter. */
    query: string;
    filter: Filter<StoredDocument>;
    dateParam?: string;
    patientParam?: string;
    encounterParam?: string;
  };
  start: Path[];
  deadline: string;
  deadlineMs: number;
  owner: Path[];
  for?: Path;
  encounter?: Path;
  condition: RelatedCondition | ElementsCondition;
}

export interface RelatedCondition {
  kind: 'related';
  type: string;
  reference: string;
  filter: Filter<StoredDocument>;
  missing: string;
  codes?: { path: Path; accept: ReadonlySet<string>; billable: ReadonlySet<string>; serviceDate?: Path };
}

export interface ElementsCondition {
  kind: 'elements';
  items: Array<{ path: Path; missing: string }>;
}

/** The rules in force: the enabled ones of the file, and the time zone date-only values are read in. */
export interface RuleSet {
  timeZone: string;
  rules: Rule[];
  /** Where they came from, for logs. */
  source: string;
}

const list = (x: string | string[]) => (Array.isArray(x) ? x : [x]);

function compileRule(spec: RuleSpec, search: SearchAccess): Rule {
  const where = `deficiency rule ${spec.id}`;
  const paths = (exprs: string | string[], field: string) => list(exprs).map((e) => compilePath(e, `${where} ${field}`));
  const query = (type: string, q: string, field: string) => {
    try {
      return search.filter(type, q);
    } catch (err) {
      throw new Error(`${where} ${field}: '${q}' is not a search on ${type} this server can run: ${(err as Error).message}`, { cause: err });
    }
  };
  const param = (type: string, code: string | undefined, field: string) => {
    if (code !== undefined && !search.hasParam(type, code)) throw new Error(`${where} ${field}: ${type} has no search parameter '${code}'`);
    return code;
  };
  const reference = (type: string, code: string | undefined, target: string, field: string) => {
    if (code !== undefined && !search.refersTo(type, code, target)) {
      throw new Error(`${where} ${field}: ${type} has no reference parameter '${code}' that can name ${target} resources`);
    }
    return code;
  };
  const s = spec.scope;
  const { related, elements } = spec.condition;
  let condition: Rule['condition'];
  if (related) {
    reference(related.type, related.reference, s.type, 'condition.related.reference');
    const c = related.codes;
    condition = {
      kind: 'related',
      type: related.type,
      reference: related.reference,
      filter: query(related.type, related.query ?? '', 'condition.related.query'),
      missing: related.missing,
      codes: c && {
        path: compilePath(c.path, `${where} condition.related.codes.path`),
        accept: new Set(c.accept),
        billable: new Set(c.billable ?? []),
        serviceDate: c.serviceDate === undefined ? undefined : compilePath(c.serviceDate, `${where} condition.related.codes.serviceDate`),
      },
    };
  } else {
    condition = { kind: 'elements', items: (elements ?? []).map((e) => ({ path: compilePath(e.path, `${where} condition.elements`), missing: e.missing })) };
  }
  return {
    id: spec.id,
    title: spec.title,
    description: spec.description,
    scope: {
      type: s.type,
      query: s.query,
      filter: query(s.type, s.query, 'scope.query'),
      dateParam: param(s.type, s.dateParam, 'scope.dateParam'),
      patientParam: param(s.type, s.patientParam, 'scope.patientParam'),
      encounterParam: reference(s.type, s.encounterParam, 'Encounter', 'scope.encounterParam'),
    },
    start: paths(spec.start, 'start'),
    deadline: spec.deadline,
    deadlineMs: durationMs(spec.deadline),
    owner: paths(spec.task.owner, 'task.owner'),
    for: spec.task.for === undefined ? undefined : compilePath(spec.task.for, `${where} task.for`),
    encounter: spec.task.encounter === undefined ? undefined : compilePath(spec.task.encounter, `${where} task.encounter`),
    condition,
  };
}

/** Compiles the enabled rules of a checked file; any rule that cannot run stops start-up with its reason. */
export function compileRules(file: RulesFile, search: SearchAccess, source: string): RuleSet {
  const timeZone = file.timeZone ?? 'UTC';
  assertTimeZone(timeZone);
  return { timeZone, source, rules: file.rules.filter((r) => r.enabled !== false).map((r) => compileRule(r, search)) };
}

/** The types a rule reads: its scope's and its related resources'. */
export const typesRead = (rule: Rule): string[] => (rule.condition.kind === 'related' ? [rule.scope.type, rule.condition.type] : [rule.scope.type]);

/**
 * Refuses (403) a caller who cannot search every type the rules read, or only part of one (a SMART v2 granular
 * scope): a rule judged on part of the chart finds deficiencies that are not there (the summary it cannot see),
 * so the answer would be wrong, not smaller. A patient-bound policy sees its patient's whole chart.
 */
export function assertCompleteView(policy: AccessPolicy, rules: readonly Rule[]): void {
  for (const type of new Set(rules.flatMap(typesRead))) {
    if (!policy.allows(type, 'search')) throw forbidden(`The access token does not allow search on ${type}, which the deficiency rules read`);
    if (policy.searchRestrictions(type, 'search')) {
      throw forbidden(`The access token sees only part of ${type} (a restricted scope): the deficiency rules need all of it`);
    }
  }
}
