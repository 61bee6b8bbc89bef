/** Write commands: insert, update, delete (ordered/unordered, with per-statement write errors). */
import { ObjectId } from 'bson';
import { CommandError, badValue } from '../errors';
import { keepReceived } from '../storage/received-bytes';
import { Collection, idKeyOf } from '../engine/collection';
import { runQuery } from '../engine/query-exec';
import { WriteContext } from '../engine/write-context';
import { Doc as QDoc } from '../query/matcher';
import { isPlainObject } from '../query/paths';
import { UpdateSpec, applyUpdate, isOperatorUpdate, upsertSeed } from '../query/update';
import { compareValues } from '../values/bson-order';
import { parseSort } from '../query/sort';
import { CommandContext, Doc, Handler, collectionName } from './context';

interface WriteError {
  index: number;
  code: number;
  errmsg: string;
  [k: string]: unknown;
}

/** Runs statements, collecting write errors; stops at the first one when ordered. Errors in transactions throw. */
function runStatements<T>(items: T[], ordered: boolean, ctx: CommandContext, run: (item: T, i: number) => void): WriteError[] {
  const errors: WriteError[] = [];
  for (let i = 0; i < items.length; i++) {
    try {
      run(items[i], i);
    } catch (e) {
      if (!(e instanceof CommandError) || ctx.writes.txn || e.code === 112) throw e;
      errors.push({ index: i, code: e.code, codeName: e.codeName, errmsg: e.message, ...e.extra });
      if (ordered) break;
    }
  }
  return errors;
}

function withErrors(reply: Doc, errors: WriteError[]): Doc {
  if (errors.length > 0) reply.writeErrors = errors;
  return reply;
}

function docsArg(cmd: Doc, name: string): Doc[] {
  const v = cmd[name];
  if (!Array.isArray(v)) throw badValue(`${name} must be an array`);
  return v as Doc[];
}

export function prepareInsert(doc: Doc): Doc {
  if (!isPlainObject(doc)) throw badValue('document to insert must be an object');
  if (Array.isArray(doc._id)) throw badValue("The '_id' value cannot be of type array");
  if (doc._id === undefined) return { _id: new ObjectId(), ...doc };
  if (Object.keys(doc)[0] === '_id') return doc;
  const { _id, ...rest } = doc;
  return { _id, ...rest };
}

export const insert: Handler = async (cmd, ctx) => {
  const name = collectionName(cmd, 'insert');
  const docs = docsArg(cmd, 'documents');
  const coll = ctx.writes.collection(ctx.db, name, true)!;
  // Documents stored exactly as received are stored as the bytes they arrived in.
  const received = ctx.documentBytes?.length === docs.length ? ctx.documentBytes : undefined;
  let n = 0;
  const errors = runStatements(docs, cmd.ordered !== false, ctx, (d, i) => {
    const doc = prepareInsert(d);
    if (received && doc === d) keepReceived(doc, received[i]);
    ctx.writes.insert(coll, doc);
    n++;
  });
  await ctx.writes.done();
  return withErrors({ n, ok: 1 }, errors);
};

/** Ids (in the context's view) of documents matching a filter, optionally only the first by `sort`. */
export function matchingIds(coll: Collection | undefined, writes: WriteContext, filter: QDoc, multi: boolean, sort?: unknown, hint?: unknown): string[] {
  if (!coll) return [];
  const { docs } = runQuery(coll, writes.view(coll), { filter, sort: parseSort(sort), limit: multi ? 0 : 1, hint });
  return docs.map((d) => idKeyOf(d._id));
}

export interface UpdateOutcome {
  matched: number;
  modified: number;
  upsertedId?: unknown;
  before?: Doc | null;
  after?: Doc | null;
}

/** One update statement (shared by update and findAndModify). */
export function updateOne(
  ctx: CommandContext,
  coll: Collection,
  q: QDoc,
  u: UpdateSpec,
  opts: { multi: boolean; upsert: boolean; arrayFilters?: Doc[]; sort?: unknown; hint?: unknown },
): UpdateOutcome {
  if (opts.multi && !Array.isArray(u) && !isOperatorUpdate(u)) throw new CommandError(9, 'FailedToParse', 'multi update is not supported for replacement-style update');
  const ids = matchingIds(coll, ctx.writes, q, opts.multi, opts.sort, opts.hint);
  if (ids.length === 0) {
    if (!opts.upsert) return { matched: 0, modified: 0, before: null, after: null };
    const seed = Array.isArray(u) || isOperatorUpdate(u) ? upsertSeed(q) : {};
    if (!Array.isArray(u) && !isOperatorUpdate(u) && q._id !== undefined && !isPlainObject(q._id)) seed._id = q._id;
    let doc = applyUpdate(seed, u, opts.arrayFilters, true);
    if (doc._id === undefined && seed._id !== undefined) doc = { _id: seed._id, ...doc };
    doc = prepareInsert(doc);
    ctx.writes.insert(coll, doc);
    return { matched: 0, modified: 0, upsertedId: doc._id, before: null, after: doc };
  }
  let modified = 0;
  let before: Doc | null = null;
  let after: Doc | null = null;
  for (const id of ids) {
    const cur = ctx.writes.read(coll, id);
    if (!cur) continue;
    const next = applyUpdate(cur, u, opts.arrayFilters, false);
    before = cur;
    after = next;
    if (compareValues(cur, next) !== 0 || Object.keys(cur).join() !== Object.keys(next).join()) {
      ctx.writes.replace(coll, id, next);
      modified++;
    }
  }
  return { matched: ids.length, modified, before, after };
}

export const update: Handler = async (cmd, ctx) => {
  const name = collectionName(cmd, 'update');
  const stmts = docsArg(cmd, 'updates');
  const coll = ctx.writes.collection(ctx.db, name, true)!;
  let n = 0;
  let nModified = 0;
  const upserted: Doc[] = [];
  const errors = runStatements(stmts, cmd.ordered !== false, ctx, (s, index) => {
    if (!isPlainObject(s.q) || s.u === undefined || typeof s.u !== 'object' || s.u === null) throw badValue('update statements need q and u');
    const r = updateOne(ctx, coll, s.q, s.u as UpdateSpec, {
      multi: s.multi === true,
      upsert: s.upsert === true,
      arrayFilters: s.arrayFilters as Doc[] | undefined,
      hint: s.hint,
      sort: s.sort,
    });
    if (r.upsertedId !== undefined) {
      upserted.push({ index, _id: r.upsertedId });
      n++;
    } else n += r.matched;
    nModified += r.modified;
  });
  await ctx.writes.done();
  const reply: Doc = { n, nModified, ok: 1 };
  if (upserted.length > 0) reply.upserted = upserted;
  return withErrors(reply, errors);
};

export const del: Handler = async (cmd, ctx) => {
  const name = collectionName(cmd, 'delete');
  const stmts = docsArg(cmd, 'deletes');
  const coll = ctx.writes.collection(ctx.db, name, false);
  let n = 0;
  const errors = runStatements(stmts, cmd.ordered !== false, ctx, (s) => {
    if (!isPlainObject(s.q)) throw badValue('delete statements need q');
    const limit = Number(s.limit ?? 0);
    if (limit !== 0 && limit !== 1) throw badValue('The limit field in delete objects must be 0 or 1');
    for (const id of matchingIds(coll, ctx.writes, s.q, limit === 0, undefined, s.hint)) {
      ctx.writes.remove(coll!, id);
      n++;
    }
  });
  await ctx.writes.done();
  return withErrors({ n, ok: 1 }, errors);
};
