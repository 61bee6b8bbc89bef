/** Read commands: find, getMore, killCursors, count, distinct. */
import { compareValues } from '../values/bson-order';
import { badValue } from '../errors';
import { encodeKey } from '../values/key-encoding';
import { openQuery, runQuery } from '../engine/query-exec';
import { compileProjection } from '../query/projection';
import { parseSort } from '../query/sort';
import { collectValues, isPlainObject, splitPath, MISSING } from '../query/paths';
import { idKeyOf } from '../engine/collection';
import { compileFilter } from '../query/matcher';
import { CommandContext, Doc, Handler, collectionName } from './context';
import type { BatchRules } from './cursors';

function optionalNumber(cmd: Doc, name: string): number | undefined {
  const v = cmd[name];
  if (v === undefined || v === null) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw badValue(`${name} must be a number`);
  return n;
}

function filterOf(cmd: Doc, name: string): Doc {
  const f = cmd[name];
  if (f === undefined || f === null) return {};
  if (!isPlainObject(f)) throw badValue(`${name} must be an object`);
  return f;
}

export function findSpec(cmd: Doc) {
  const skip = optionalNumber(cmd, 'skip') ?? 0;
  const limit = optionalNumber(cmd, 'limit') ?? 0;
  if (skip < 0) throw badValue('skip value must be non-negative');
  if (limit < 0) throw badValue('limit value must be non-negative');
  return { filter: filterOf(cmd, 'filter'), sort: parseSort(cmd.sort), skip, limit: Math.abs(limit), hint: cmd.hint };
}

export const find: Handler = (cmd, ctx) => {
  const name = collectionName(cmd, 'find');
  const coll = ctx.engine.collection(ctx.db, name);
  const spec = findSpec(cmd);
  const project = compileProjection(cmd.projection);
  const { docs } = openQuery(coll, ctx.writes.view(coll), { ...spec, forReply: true });
  const single = cmd.singleBatch === true || (spec.limit > 0 && Number(cmd.limit) < 0);
  const rules: BatchRules = cmd.projection ? { map: project, stored: project.plain } : { stored: true };
  if (coll && !ctx.writes.txn) {
    // Outside a transaction a cursor reads the latest state: its read-ahead document is read again when handed out.
    const test = compileFilter(spec.filter);
    rules.refresh = (d) => {
      const now = coll.visible(idKeyOf(d._id), undefined, true);
      return now && test(now) ? now : null;
    };
  }
  return ctx.cursors.first(`${ctx.db}.${name}`, docs, optionalNumber(cmd, 'batchSize'), single, ctx.sessionKey, rules);
};

export const getMore: Handler = (cmd, ctx) => ctx.cursors.more(cmd.getMore, `${ctx.db}.${collectionName(cmd, 'collection')}`, optionalNumber(cmd, 'batchSize'));

export const killCursors: Handler = (cmd, ctx) => {
  if (!Array.isArray(cmd.cursors)) throw badValue('cursors must be an array');
  return ctx.cursors.kill(cmd.cursors);
};

export const count: Handler = (cmd, ctx) => {
  const name = collectionName(cmd, 'count');
  const coll = ctx.engine.collection(ctx.db, name);
  const query = filterOf(cmd, 'query');
  const skip = optionalNumber(cmd, 'skip') ?? 0;
  const limit = Math.abs(optionalNumber(cmd, 'limit') ?? 0);
  if (Object.keys(query).length === 0 && !ctx.writes.txn && coll) {
    // Fast path used by estimatedDocumentCount.
    const n = Math.max(0, coll.liveCount - skip);
    return { n: limit > 0 ? Math.min(n, limit) : n, ok: 1 };
  }
  const { docs } = runQuery(coll, ctx.writes.view(coll), { filter: query, skip, limit, hint: cmd.hint });
  return { n: docs.length, ok: 1 };
};

export const distinct: Handler = (cmd, ctx: CommandContext) => {
  const name = collectionName(cmd, 'distinct');
  if (typeof cmd.key !== 'string') throw badValue('distinct key must be a string');
  const coll = ctx.engine.collection(ctx.db, name);
  const { docs } = runQuery(coll, ctx.writes.view(coll), { filter: filterOf(cmd, 'query') });
  const parts = splitPath(cmd.key);
  const values: unknown[] = [];
  const seen = new Set<string>();
  for (const d of docs) {
    for (const v of collectValues(d, parts)) {
      if (v === MISSING) continue;
      for (const e of Array.isArray(v) ? v : [v]) {
        const k = encodeKey(e);
        if (!seen.has(k)) {
          seen.add(k);
          values.push(e);
        }
      }
    }
  }
  values.sort(compareValues);
  return { values, ok: 1 };
};
