/**
 * explain for find/aggregate/count/distinct/delete/update: MongoDB-shaped `queryPlanner.winningPlan` trees
 * (IDHACK, COLLSCAN, FETCH over IXSCAN, OR, SORT, SKIP, LIMIT), so tests asserting index use read the same against
 * a real mongod.
 */
import { badValue } from '../errors';
import { QuerySpec, runQuery } from '../engine/query-exec';
import { isPlainObject } from '../query/paths';
import { Plan, IndexScan } from '../query/planner';
import { parseSort } from '../query/sort';
import { CommandContext, Doc, Handler } from './context';
import { findSpec } from './read';
import { splitPipeline } from './aggregate';

function ixscan(s: IndexScan): Doc {
  return {
    stage: 'IXSCAN',
    keyPattern: s.index.spec.key,
    indexName: s.index.name,
    isMultiKey: s.index.multikey,
    isUnique: s.index.unique,
    isSparse: s.index.sparse,
    isPartial: s.index.partial !== undefined,
    direction: s.reverse ? 'backward' : 'forward',
  };
}

export function winningPlan(plan: Plan, spec: QuerySpec): Doc {
  let stage: Doc;
  const filter = spec.filter;
  switch (plan.kind) {
    case 'id':
      return { stage: 'IDHACK' };
    case 'collscan':
      stage = { stage: 'COLLSCAN', filter, direction: 'forward' };
      break;
    case 'scan':
      stage = { stage: 'FETCH', filter, inputStage: ixscan(plan.scan) };
      break;
    default:
      stage = { stage: 'SUBPLAN', inputStage: { stage: 'FETCH', filter, inputStage: { stage: 'OR', inputStages: plan.scans.map(ixscan) } } };
  }
  const sort = spec.sort ?? [];
  const sortServed = plan.kind === 'scan' && plan.scan.sortServed;
  if (sort.length > 0 && !sortServed) {
    stage = { stage: 'SORT', sortPattern: Object.fromEntries(sort), memLimit: 104857600, type: 'simple', inputStage: stage };
    if (spec.limit) stage.limitAmount = spec.limit + (spec.skip ?? 0);
  }
  if (spec.skip) stage = { stage: 'SKIP', skipAmount: spec.skip, inputStage: stage };
  if (spec.limit && (sort.length === 0 || sortServed)) stage = { stage: 'LIMIT', limitAmount: spec.limit, inputStage: stage };
  return stage;
}

export function explainQuery(ctx: CommandContext, collName: string, spec: QuerySpec, command: Doc, verbosity = 'queryPlanner'): Doc {
  const coll = ctx.engine.collection(ctx.db, collName);
  const result = runQuery(coll, ctx.writes.view(coll), spec);
  const queryPlanner = {
    namespace: `${ctx.db}.${collName}`,
    parsedQuery: spec.filter,
    indexFilterSet: false,
    winningPlan: winningPlan(result.plan, spec),
    rejectedPlans: [],
  };
  const reply: Doc = { explainVersion: '1', queryPlanner, command, serverInfo: { host: ctx.server.host, version: '7.0.0' }, ok: 1 };
  if (verbosity !== 'queryPlanner') {
    reply.executionStats = { executionSuccess: true, nReturned: result.docs.length, totalDocsExamined: result.examined, executionTimeMillis: 0 };
  }
  return reply;
}

export const explain: Handler = (cmd, ctx) => {
  const inner = cmd.explain;
  if (!isPlainObject(inner)) throw badValue('explain command requires a nested object');
  const verbosity = typeof cmd.verbosity === 'string' ? cmd.verbosity : 'allPlansExecution';
  const op = Object.keys(inner)[0];
  const name = String(inner[op]);
  switch (op) {
    case 'find':
      return explainQuery(ctx, name, findSpec(inner), inner, verbosity);
    case 'aggregate': {
      if (!Array.isArray(inner.pipeline)) throw badValue("'pipeline' option must be specified as an array");
      const { spec, rest } = splitPipeline(inner.pipeline as Doc[]);
      const base = explainQuery(ctx, name, spec, inner, verbosity);
      if (rest.length === 0) return base;
      return { ...base, stages: [{ $cursor: { queryPlanner: base.queryPlanner } }, ...rest] };
    }
    case 'count':
      return explainQuery(ctx, name, { filter: (inner.query as Doc) ?? {} }, inner, verbosity);
    case 'distinct':
      return explainQuery(ctx, name, { filter: (inner.query as Doc) ?? {} }, inner, verbosity);
    case 'findAndModify':
    case 'findandmodify':
      return explainQuery(ctx, name, { filter: (inner.query as Doc) ?? {}, sort: parseSort(inner.sort), limit: 1 }, inner, verbosity);
    case 'delete':
    case 'update': {
      const stmts = inner[op === 'delete' ? 'deletes' : 'updates'];
      const first = Array.isArray(stmts) && isPlainObject(stmts[0]) ? stmts[0] : {};
      return explainQuery(ctx, name, { filter: (first.q as Doc) ?? {} }, inner, verbosity);
    }
    default:
      throw badValue(`Explain failed due to unknown command: ${op}`);
  }
};
