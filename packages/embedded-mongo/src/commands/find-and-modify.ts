/** findAndModify: update or remove one document and return it (before or after). */
import { badValue } from '../errors';
import { compileProjection } from '../query/projection';
import { isPlainObject } from '../query/paths';
import { UpdateSpec } from '../query/update';
import { Doc, Handler, collectionName } from './context';
import { matchingIds, updateOne } from './write';

export const findAndModify: Handler = async (cmd, ctx) => {
  const name = collectionName(cmd, Object.keys(cmd)[0]);
  const query = cmd.query === undefined ? {} : cmd.query;
  if (!isPlainObject(query)) throw badValue('query must be an object');
  const project = compileProjection(cmd.fields);
  const remove = cmd.remove === true;
  if (remove && cmd.update !== undefined) throw badValue('Cannot specify both an update and remove=true');
  if (!remove && (cmd.update === undefined || typeof cmd.update !== 'object' || cmd.update === null)) throw badValue('Either an update or remove=true must be specified');
  if (remove && cmd.upsert === true) throw badValue('Cannot specify both upsert=true and remove=true');
  let reply: Doc;
  if (remove) {
    const coll = ctx.writes.collection(ctx.db, name, false);
    const [id] = matchingIds(coll, ctx.writes, query, false, cmd.sort, cmd.hint);
    const doc = id !== undefined ? ctx.writes.read(coll!, id) : null;
    if (doc) ctx.writes.remove(coll!, id);
    reply = { lastErrorObject: { n: doc ? 1 : 0 }, value: doc ? project(doc) : null, ok: 1 };
  } else {
    const coll = ctx.writes.collection(ctx.db, name, true)!;
    const r = updateOne(ctx, coll, query, cmd.update as UpdateSpec, {
      multi: false,
      upsert: cmd.upsert === true,
      arrayFilters: cmd.arrayFilters as Doc[] | undefined,
      sort: cmd.sort,
      hint: cmd.hint,
    });
    const value = cmd.new === true ? r.after : r.upsertedId !== undefined ? null : r.before;
    const leo: Doc = { n: r.upsertedId !== undefined ? 1 : r.matched, updatedExisting: r.matched > 0 };
    if (r.upsertedId !== undefined) leo.upserted = r.upsertedId;
    reply = { lastErrorObject: leo, value: value ? project(value) : null, ok: 1 };
  }
  await ctx.writes.done();
  return reply;
};
