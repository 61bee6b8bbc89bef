/**
 * aggregate: the leading `$match`/`$sort`/`$skip`/`$limit` run in the engine (indexes, snapshot, transaction
 * overlay); the remaining stages run in mingo over those documents. `$lookup` and friends resolve other
 * collections through the same snapshot.
 */
import { Aggregator } from 'mingo';
import { CommandError, badValue } from '../errors';
import { QuerySpec, runQuery } from '../engine/query-exec';
import { isPlainObject } from '../query/paths';
import { parseSort } from '../query/sort';
import { cloneDoc } from '../query/update';
import { CommandContext, Doc, Handler } from './context';
import { explainQuery } from './explain';

const UNSUPPORTED = new Set(['$out', '$merge', '$changeStream', '$collStats', '$indexStats', '$currentOp', '$listSessions', '$search', '$geoNear', '$planCacheStats']);
/** Stages after which mingo may write into nested input objects: inputs are copied first. */
const MUTATING = new Set(['$addFields', '$set', '$unset']);

export function splitPipeline(pipeline: Doc[]): { spec: QuerySpec; rest: Doc[] } {
  const spec: QuerySpec = { filter: {} };
  let i = 0;
  if (pipeline[0]?.$match !== undefined && isPlainObject(pipeline[0].$match)) {
    spec.filter = pipeline[0].$match;
    i = 1;
  }
  if (pipeline[i]?.$sort !== undefined) {
    spec.sort = parseSort(pipeline[i].$sort);
    i++;
  }
  // $skip/$limit only push down in MongoDB's order: skip first.
  if (pipeline[i]?.$skip !== undefined && typeof pipeline[i].$skip === 'number') {
    spec.skip = pipeline[i].$skip as number;
    i++;
  }
  if (pipeline[i]?.$limit !== undefined && typeof pipeline[i].$limit === 'number') {
    spec.limit = pipeline[i].$limit as number;
    i++;
  }
  return { spec, rest: pipeline.slice(i) };
}

function collectionDocs(ctx: CommandContext, name: string): Doc[] {
  const coll = ctx.engine.collection(ctx.db, name);
  return runQuery(coll, ctx.writes.view(coll), { filter: {} }).docs;
}

export function runPipeline(ctx: CommandContext, collName: string, pipeline: Doc[]): Doc[] {
  for (const stage of pipeline) {
    if (!isPlainObject(stage) || Object.keys(stage).length !== 1) throw badValue('A pipeline stage specification object must contain exactly one field.');
    const op = Object.keys(stage)[0];
    if (UNSUPPORTED.has(op)) throw new CommandError(40324, 'Location40324', `Unrecognized or unsupported pipeline stage name: '${op}'`);
  }
  const coll = ctx.engine.collection(ctx.db, collName);
  const { spec, rest } = splitPipeline(pipeline);
  let docs = runQuery(coll, ctx.writes.view(coll), spec).docs;
  if (rest.length === 0) return docs;
  if (rest.some((s) => MUTATING.has(Object.keys(s)[0]))) docs = docs.map(cloneDoc);
  try {
    const agg = new Aggregator(rest, { collectionResolver: (name: string) => collectionDocs(ctx, name) });
    return agg.run(docs) as Doc[];
  } catch (e) {
    if (e instanceof CommandError) throw e;
    throw new CommandError(2, 'BadValue', (e as Error).message);
  }
}

export const aggregate: Handler = (cmd, ctx) => {
  const name = cmd.aggregate;
  if (typeof name !== 'string') throw new CommandError(73, 'InvalidNamespace', 'aggregate on a database (aggregate: 1) is not supported');
  if (!Array.isArray(cmd.pipeline)) throw badValue("'pipeline' option must be specified as an array");
  const pipeline = cmd.pipeline as Doc[];
  if (cmd.explain === true) {
    const { spec } = splitPipeline(pipeline);
    return explainQuery(ctx, name, spec, cmd);
  }
  if (cmd.cursor !== undefined && !isPlainObject(cmd.cursor)) throw badValue("'cursor' option must be an object");
  const docs = runPipeline(ctx, name, pipeline);
  const batchSize = isPlainObject(cmd.cursor) && cmd.cursor.batchSize !== undefined ? Number(cmd.cursor.batchSize) : undefined;
  return ctx.cursors.first(`${ctx.db}.${name}`, docs, batchSize, false, ctx.sessionKey);
};
