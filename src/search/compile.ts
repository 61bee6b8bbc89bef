import type { Filter } from 'mongodb';
import { OperationOutcomeError, issue } from '../errors/operation-outcome-error';
import type { StoredDocument } from '../store/stored-document';
import type { Clause, EntryMatch, SearchParam, SearchStore } from './types';
import { dateConditions, type DateValue } from './types/date';
import { RANGE_TYPES, entryArray } from './entry-array';
import { isSingleValued } from './expression';
import { moduleFor } from './types/index';
import type { TokenValue } from './types/token';

/**
 * Clauses -> MongoDB filter. Every criterion on a parameter becomes `{'s.e': {$elemMatch: {p, ...}}}` (`s.r` for
 * range parameters, see entry-array.ts; served by the compound multikey indexes of index-specs.ts); `_id` and
 * `_lastUpdated` use the document's own `_id` and `lu`.
 * Chains and `_has` run their inner search through the SearchStore (so the caller's access policy applies to
 * them too) and become `$in` lists of at most MAX_SUBQUERY_IDS ids.
 */
type DocFilter = Filter<StoredDocument>;

export const MAX_SUBQUERY_IDS = 1000;
const NOTHING: DocFilter = { _id: { $in: [] } };

function elemMatch(param: SearchParam, m: EntryMatch): DocFilter {
  return { [`s.${entryArray(param)}`]: { $elemMatch: { p: m.p ?? param.code, ...m.cond } } } as DocFilter;
}

/** OR of values: plain equalities on `v` that differ only there merge into one `$in` (one index scan). */
function mergeEqualities(param: SearchParam, matches: EntryMatch[]): DocFilter[] {
  const groups = new Map<string, { m: EntryMatch; values: string[] }>();
  const rest: DocFilter[] = [];
  for (const m of matches) {
    const { v, ...others } = m.cond;
    if (typeof v !== 'string' || Object.keys(others).some((k) => k.startsWith('$'))) {
      rest.push(elemMatch(param, m));
      continue;
    }
    const key = JSON.stringify([m.p ?? param.code, others]);
    const g = groups.get(key);
    if (g) g.values.push(v);
    else groups.set(key, { m, values: [v] });
  }
  for (const { m, values } of groups.values()) {
    rest.push(elemMatch(param, { p: m.p, cond: { ...m.cond, v: values.length === 1 ? values[0] : { $in: values } } }));
  }
  return rest;
}

function or(filters: DocFilter[]): DocFilter {
  return filters.length === 1 ? filters[0] : { $or: filters };
}

/** `_id` and `_lastUpdated` are document fields, not search entries. */
function directFilter(param: SearchParam, modifier: string | undefined, values: unknown[]): DocFilter | undefined {
  if (param.code === '_id') {
    const ids = (values as TokenValue[]).map((v) => (v.kind === 'code' && v.system === undefined ? v.code : undefined));
    if (ids.some((id) => id === undefined)) {
      throw new OperationOutcomeError('invalid', [issue('invalid', '_id takes plain ids', '_id')]);
    }
    const list = ids as string[];
    if (modifier === 'not') return { _id: { $nin: list } };
    if (modifier !== undefined) throw new OperationOutcomeError('invalid', [issue('not-supported', `_id:${modifier} is not supported`)]);
    return { _id: list.length === 1 ? list[0] : { $in: list } };
  }
  if (param.code === '_lastUpdated') {
    return or((values as DateValue[]).map((v) => dateConditions(v, 'lu', 'lu') as DocFilter));
  }
  return undefined;
}

/** A clause that needs no subquery. */
export function compileSimpleClause(clause: Clause): DocFilter {
  switch (clause.kind) {
    case 'missing': {
      const present = elemMatch(clause.param, { cond: {} });
      return clause.missing ? { $nor: [present] } : present;
    }
    case 'value': {
      const { param, modifier, values } = clause;
      const direct = directFilter(param, modifier, values);
      if (direct) return direct;
      const module = moduleFor(param.type);
      const matches = values.map((v) => module.compile(v, modifier, param));
      const filter = or(mergeEqualities(param, matches));
      // :not — "no value matches any of these" (spec 3.1.1.5.5), resources without the element included.
      return modifier && module.negating?.has(modifier) ? { $nor: [filter] } : filter;
    }
    default:
      throw new Error(`compileSimpleClause: ${clause.kind} needs a store`);
  }
}

async function ids(store: SearchStore, type: string, filter: DocFilter): Promise<string[]> {
  const out: string[] = [];
  for await (const doc of store.find(type, filter, { projection: { _id: 1 }, limit: MAX_SUBQUERY_IDS + 1 })) {
    out.push(doc._id);
  }
  if (out.length > MAX_SUBQUERY_IDS) {
    throw new OperationOutcomeError('invalid', [
      issue('too-costly', `A chained or _has criterion on ${type} matches more than ${MAX_SUBQUERY_IDS} resources; narrow it`),
    ]);
  }
  return out;
}

/** The filter for `clause` on resources of `type`. */
export async function compileClause(store: SearchStore, type: string, clause: Clause): Promise<DocFilter> {
  switch (clause.kind) {
    case 'chain': {
      const refs: string[] = [];
      for (const { type: target, clause: inner } of clause.inner) {
        for (const id of await ids(store, target, await compileClause(store, target, inner))) refs.push(`${target}/${id}`);
      }
      if (refs.length > MAX_SUBQUERY_IDS) {
        throw new OperationOutcomeError('invalid', [issue('too-costly', `A chained criterion matches more than ${MAX_SUBQUERY_IDS} resources`)]);
      }
      return refs.length ? elemMatch(clause.param, { cond: { v: { $in: refs } } }) : NOTHING;
    }
    case 'has': {
      // Resources of clause.type matching inner, then the targets their `param` references (of the searched type).
      const sources = await compileClause(store, clause.type, clause.inner);
      const targets = new Set<string>();
      const prefix = `${type}/`;
      const code = clause.param.code;
      let n = 0;
      for await (const doc of store.find(clause.type, sources, { projection: { _id: 1, 's.e': 1 }, limit: MAX_SUBQUERY_IDS + 1 })) {
        if (++n > MAX_SUBQUERY_IDS) {
          throw new OperationOutcomeError('invalid', [issue('too-costly', `_has on ${clause.type} matches more than ${MAX_SUBQUERY_IDS} resources`)]);
        }
        const entries = (doc.s as { e?: Array<{ p: string; v?: string }> } | undefined)?.e ?? [];
        for (const e of entries) {
          if (e.p === code && typeof e.v === 'string' && e.v.startsWith(prefix)) targets.add(e.v.slice(prefix.length));
        }
      }
      return targets.size ? { _id: { $in: [...targets] } } : NOTHING;
    }
    default:
      return compileSimpleClause(clause);
  }
}

/** Conditions on one entry, ANDed into one object where keys do not collide (so index bounds combine). */
function mergeConditions(conds: Record<string, unknown>[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const ors: unknown[] = [];
  for (const cond of conds) {
    for (const [k, v] of Object.entries(cond)) {
      if (k === '$or') ors.push(v);
      else if (!(k in out)) out[k] = v;
      else {
        const a = out[k] as Record<string, unknown>;
        const b = v as Record<string, unknown>;
        const operators = (o: unknown) => !!o && typeof o === 'object' && Object.keys(o).every((x) => x.startsWith('$'));
        if (!operators(a) || !operators(b) || Object.keys(b).some((x) => x in a)) return { $and: conds };
        out[k] = { ...a, ...b };
      }
    }
  }
  if (ors.length === 1) out.$or = ors[0];
  if (ors.length > 1) out.$and = ors.map((o) => ({ $or: o }));
  return out;
}

/**
 * `date=ge2020-01-01&date=lt2020-02-01` on a parameter with at most one value per resource: both conditions hold
 * on that one value, so they go into one $elemMatch, whose index scan is then bounded on both ends.
 */
function mergeRangeClauses(clauses: readonly Clause[]): { merged: DocFilter[]; rest: Clause[] } {
  const groups = new Map<string, Array<Extract<Clause, { kind: 'value' }>>>();
  const rest: Clause[] = [];
  for (const c of clauses) {
    const mergeable =
      c.kind === 'value' &&
      !c.modifier &&
      c.values.length === 1 &&
      RANGE_TYPES.has(c.param.type) &&
      c.param.code !== '_lastUpdated' &&
      isSingleValued(c.param.expression);
    if (!mergeable) {
      rest.push(c);
      continue;
    }
    if (!groups.has(c.param.code)) groups.set(c.param.code, []);
    groups.get(c.param.code)!.push(c);
  }
  const merged: DocFilter[] = [];
  for (const group of groups.values()) {
    if (group.length === 1) {
      rest.push(group[0]);
      continue;
    }
    const module = moduleFor(group[0].param.type);
    const conds = group.map((c) => module.compile(c.values[0], undefined, c.param).cond);
    merged.push(elemMatch(group[0].param, { cond: mergeConditions(conds) }));
  }
  return { merged, rest };
}

/** Parameters with a handful of possible values: poor first criteria for an index scan. */
const LOW_CARDINALITY = /(^|-)(status|gender|active|intent|priority|category|class|kind|mode|type)$/;

/**
 * Expected selectivity, most selective first. The AND is the same in any order, but a planner that ranks
 * equally-shaped index bounds by position (the embedded engine does) then scans the narrowest one.
 */
function rank(c: Clause): number {
  if (c.kind !== 'value') return c.kind === 'missing' ? 6 : 1;
  const module = moduleFor(c.param.type);
  if (c.modifier && module.negating?.has(c.modifier)) return 6;
  if (c.param.code === '_id' || c.param.type === 'reference') return 0;
  if (LOW_CARDINALITY.test(c.param.code)) return 5;
  if (c.param.type === 'token') return (c.values as TokenValue[]).every((v) => v.kind === 'code' && v.system) ? 1 : 2;
  if (c.param.type === 'string') return c.modifier === 'exact' ? 2 : 3;
  return RANGE_TYPES.has(c.param.type) ? 4 : 2;
}

/** AND of every clause, plus the compartment bound, for resources of `type`. */
export async function compileFilter(store: SearchStore, type: string, clauses: readonly Clause[], compartment?: { type: string; id: string }): Promise<DocFilter> {
  const parts: DocFilter[] = [];
  if (compartment) parts.push({ c: `${compartment.type}/${compartment.id}` });
  const { merged, rest } = mergeRangeClauses(clauses);
  const ordered = [...rest].sort((a, b) => rank(a) - rank(b));
  for (const clause of ordered.filter((c) => rank(c) < 4)) parts.push(await compileClause(store, type, clause));
  parts.push(...merged);
  for (const clause of ordered.filter((c) => rank(c) >= 4)) parts.push(await compileClause(store, type, clause));
  return parts.length === 0 ? {} : parts.length === 1 ? parts[0] : { $and: parts };
}
