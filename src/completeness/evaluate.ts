import type { Coding, Reference, Resource } from 'fhir/r4';
import type { Filter, FindOptions } from 'mongodb';
import { MAX_VALUES as MAX_PARAMETER_VALUES } from '../search/parse';
import type { Repository } from '../store/repository';
import type { StoredDocument } from '../store/stored-document';
import { billingProblem, type BillableCodeSystems } from './code-check';
import { firstReference, firstString, holds } from './fhirpath';
import type { RelatedCondition, Rule } from './rules';
import type { SearchAccess } from './search-access';
import { startInstant } from './time';

/** What the evaluator needs besides the repository it reads through. */
export interface EvaluationContext {
  search: SearchAccess;
  timeZone: string;
  billable: BillableCodeSystems;
}

/** One rule evaluated on one resource in its scope. */
export interface Evaluation {
  rule: Rule;
  focus: Resource & { id: string };
  /** What is missing or wrong; empty when the rule is met. */
  problems: string[];
}

/** A rule not met: when the deficiency began and becomes delinquent, and whom its Task names. */
export interface Deficiency extends Evaluation {
  start: Date;
  deadline: Date;
  owner?: Reference;
  patient?: Reference;
  encounter?: Reference;
}

export const isDeficient = (e: Evaluation): e is Deficiency => e.problems.length > 0;

export const ref = (r: { resourceType: string; id?: string }): string => `${r.resourceType}/${r.id}`;

export function and(...filters: Filter<StoredDocument>[]): Filter<StoredDocument> {
  const parts = filters.filter((f) => Object.keys(f).length > 0);
  return parts.length === 0 ? {} : parts.length === 1 ? parts[0] : { $and: parts };
}

/** Resources of a type in a page, parsed from their stored text. */
export async function readDocs(repo: Repository, type: string, filter: Filter<StoredDocument>, options: FindOptions = {}): Promise<Array<Resource & { id: string }>> {
  const out: Array<Resource & { id: string }> = [];
  await repo.flush(type);
  for await (const doc of repo.find(type, filter, { ...options, projection: { r: 1 } })) out.push(JSON.parse(doc.r) as Resource & { id: string });
  return out;
}

/**
 * Those of `ids` that match `filter`, found by id: the `_id` index is named, so a page of ids never becomes a scan of
 * every resource the filter's own index matches (the scope of a rule holds most of a type).
 */
function byIds(repo: Repository, type: string, filter: Filter<StoredDocument>, ids: readonly string[]) {
  return readDocs(repo, type, and(filter, { _id: { $in: [...ids] } }), { hint: { _id: 1 } });
}

/** The foci among `ids` that are in the rule's scope now (live, visible to `repo`, matching its query). */
export function inScope(repo: Repository, rule: Rule, ids: readonly string[]): Promise<Array<Resource & { id: string }>> {
  return byIds(repo, rule.scope.type, rule.scope.filter, ids);
}

/**
 * The resources of `type` that `named` finds and that match `filter`, in two steps: the ids `named` finds, then
 * those of them matching `filter`, by id. Both criteria are served by the same index, and ANDed a planner may walk
 * the broader one (every H&P note, every current document) for each page instead of the few resources named.
 */
export async function namedMatching(repo: Repository, type: string, named: Filter<StoredDocument>, filter: Filter<StoredDocument>) {
  const ids: string[] = [];
  await repo.flush(type);
  for await (const doc of repo.find(type, named, { projection: { _id: 1 } })) ids.push(doc._id);
  const out: Array<Resource & { id: string }> = [];
  for (let i = 0; i < ids.length; i += MAX_PARAMETER_VALUES) out.push(...(await byIds(repo, type, filter, ids.slice(i, i + MAX_PARAMETER_VALUES))));
  return out;
}

/**
 * The related resources (of `condition.type`, matching its query) that name one of `foci`, grouped by the focus
 * they name: a few indexed queries per 100 foci (search's limit of values per parameter), never one per focus.
 */
async function relatedByFocus(repo: Repository, ctx: EvaluationContext, condition: RelatedCondition, foci: ReadonlyArray<Resource & { id: string }>) {
  const wanted = new Set(foci.map(ref));
  const byFocus = new Map<string, Resource[]>();
  const refs = [...wanted];
  for (let i = 0; i < refs.length; i += MAX_PARAMETER_VALUES) {
    const named = ctx.search.filter(condition.type, `${condition.reference}=${refs.slice(i, i + MAX_PARAMETER_VALUES).join(',')}`);
    for (const resource of await namedMatching(repo, condition.type, named, condition.filter)) {
      for (const target of new Set(ctx.search.references(resource, condition.reference))) {
        if (!wanted.has(target)) continue;
        const list = byFocus.get(target);
        if (list) list.push(resource);
        else byFocus.set(target, [resource]);
      }
    }
  }
  return byFocus;
}

/** The problems of a focus under a `related` condition with coding requirements. */
function codingProblems(ctx: EvaluationContext, condition: RelatedCondition, focus: Resource, related: readonly Resource[]): string[] {
  const codes = condition.codes!;
  const date = codes.serviceDate ? firstString([codes.serviceDate], focus) : undefined;
  const problems: string[] = [];
  let accepted = false;
  for (const resource of related) {
    const codings = codes.path(resource).filter((c): c is Coding => typeof c === 'object' && c !== null) as Coding[];
    for (const c of codings) {
      if (!c.system || !c.code || !codes.accept.has(c.system)) continue;
      accepted = true;
      const problem = codes.billable.has(c.system) ? billingProblem(ctx.billable, c.system, c.code, date) : undefined;
      if (problem) problems.push(`${ref(resource as Resource & { id: string })}: ${problem}`);
    }
  }
  if (!accepted) problems.unshift(`${condition.missing} coded in ${[...codes.accept].join(' or ')}`);
  return problems;
}

/**
 * Evaluates one rule on a page of foci already known to be in its scope. Reads related resources through `repo`
 * (the caller's policy, or the server's for its own bookkeeping).
 */
export async function evaluate(repo: Repository, ctx: EvaluationContext, rule: Rule, foci: ReadonlyArray<Resource & { id: string }>): Promise<Evaluation[]> {
  if (foci.length === 0) return [];
  const condition = rule.condition;
  const related = condition.kind === 'related' ? await relatedByFocus(repo, ctx, condition, foci) : undefined;
  return foci.map((focus) => {
    let problems: string[];
    if (condition.kind === 'elements') {
      problems = condition.items.filter((i) => !holds(i.path, focus)).map((i) => i.missing);
    } else {
      const found = related!.get(ref(focus)) ?? [];
      problems = condition.codes ? codingProblems(ctx, condition, focus, found) : found.length ? [] : [condition.missing];
    }
    return problems.length ? deficiency(ctx, rule, focus, problems) : { rule, focus, problems };
  });
}

/** The timing and the references of a deficiency (FHIRPath evaluated only for foci that are deficient). */
function deficiency(ctx: EvaluationContext, rule: Rule, focus: Resource & { id: string }, problems: string[]): Deficiency {
  const startText = firstString(rule.start, focus);
  const start = (startText && startInstant(startText, ctx.timeZone)) || new Date(focus.meta?.lastUpdated ?? 0);
  return {
    rule,
    focus,
    problems,
    start,
    deadline: new Date(start.getTime() + rule.deadlineMs),
    owner: firstReference(rule.owner, focus),
    patient: rule.scope.type === 'Patient' ? { reference: ref(focus) } : rule.for && firstReference([rule.for], focus),
    encounter: rule.scope.type === 'Encounter' ? { reference: ref(focus) } : rule.encounter && firstReference([rule.encounter], focus),
  };
}
