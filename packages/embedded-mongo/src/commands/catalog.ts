/** Catalog commands: create, drop, listCollections, createIndexes, listIndexes, dropIndexes, renameCollection. */
import { CommandError, badValue, namespaceNotFound } from '../errors';
import { IndexSpec } from '../engine/secondary-index';
import { compileFilter } from '../query/matcher';
import { isPlainObject } from '../query/paths';
import { compareValues } from '../values/bson-order';
import { Doc, Handler, collectionName } from './context';
import { splitNs } from '../engine/engine';

export const create: Handler = async (cmd, ctx) => {
  const name = collectionName(cmd, 'create');
  const { create: _ignored, $db, lsid, txnNumber, autocommit, startTransaction, writeConcern, $clusterTime, $readPreference, ...options } = cmd;
  void [_ignored, $db, lsid, txnNumber, autocommit, startTransaction, writeConcern, $clusterTime, $readPreference];
  await ctx.engine.createCollection(ctx.db, name, options).durable;
  return { ok: 1 };
};

export const drop: Handler = async (cmd, ctx) => {
  const name = collectionName(cmd, 'drop');
  const durable = ctx.engine.dropCollection(ctx.db, name);
  // MongoDB 7 answers a drop of a missing collection with ok: 1 as well.
  if (durable) await durable;
  return { ns: `${ctx.db}.${name}`, nIndexesWas: 0, ok: 1 };
};

export const dropDatabase: Handler = async (_cmd, ctx) => {
  await ctx.engine.dropDatabase(ctx.db);
  return { dropped: ctx.db, ok: 1 };
};

export const listCollections: Handler = (cmd, ctx) => {
  const filter = isPlainObject(cmd.filter) ? compileFilter(cmd.filter) : () => true;
  const nameOnly = cmd.nameOnly === true;
  const infos = ctx.engine
    .collections(ctx.db)
    .map((c): Doc =>
      nameOnly
        ? { name: c.name, type: 'collection' }
        : { name: c.name, type: 'collection', options: c.options, info: { readOnly: false }, idIndex: { v: 2, key: { _id: 1 }, name: '_id_' } },
    )
    .filter((d) => filter(d));
  return ctx.cursors.first(`${ctx.db}.$cmd.listCollections`, infos, undefined, false);
};

function sameSpec(a: IndexSpec, b: IndexSpec): boolean {
  const opts = (s: IndexSpec) => ({ unique: s.unique === true, sparse: s.sparse === true, partial: s.partialFilterExpression ?? null });
  return compareValues(a.key, b.key) === 0 && compareValues(opts(a), opts(b)) === 0;
}

export const createIndexes: Handler = async (cmd, ctx) => {
  const name = collectionName(cmd, 'createIndexes');
  if (!Array.isArray(cmd.indexes) || cmd.indexes.length === 0) throw badValue('Must specify at least one index to create');
  const coll = ctx.writes.collection(ctx.db, name, true)!;
  const before = coll.indexes.size;
  const durable: Promise<void>[] = [];
  for (const raw of cmd.indexes as Doc[]) {
    if (!isPlainObject(raw) || !isPlainObject(raw.key)) throw badValue('index specification must have a key document');
    const spec: IndexSpec = { v: 2, ...raw, key: raw.key as Record<string, number>, name: typeof raw.name === 'string' ? raw.name : defaultIndexName(raw.key) };
    const existing = coll.indexes.get(spec.name);
    if (existing) {
      if (sameSpec(existing.spec, spec)) continue;
      throw new CommandError(86, 'IndexKeySpecsConflict', `An existing index has the same name as the requested index but a different key or options: ${spec.name}`);
    }
    const sameKey = [...coll.indexes.values()].find((i) => sameSpec(i.spec, spec));
    if (sameKey) continue;
    if (spec.name === '_id_') continue;
    durable.push(ctx.engine.createIndex(coll, spec));
  }
  await Promise.all(durable);
  return { numIndexesBefore: before, numIndexesAfter: coll.indexes.size, createdCollectionAutomatically: false, ok: 1 };
};

export function defaultIndexName(key: Doc): string {
  return Object.entries(key)
    .map(([k, v]) => `${k}_${String(v)}`)
    .join('_');
}

export const listIndexes: Handler = (cmd, ctx) => {
  const name = collectionName(cmd, 'listIndexes');
  const coll = ctx.engine.collection(ctx.db, name);
  if (!coll) throw namespaceNotFound(`ns does not exist: ${ctx.db}.${name}`);
  const specs = [...coll.indexes.values()].map((i) => ({ ...i.spec }) as Doc);
  return ctx.cursors.first(`${ctx.db}.${name}`, specs, undefined, false);
};

export const dropIndexes: Handler = async (cmd, ctx) => {
  const name = collectionName(cmd, 'dropIndexes');
  const coll = ctx.engine.collection(ctx.db, name);
  if (!coll) throw namespaceNotFound(`ns not found ${ctx.db}.${name}`);
  const nIndexesWas = coll.indexes.size;
  const which = cmd.index;
  let names: string[];
  if (which === '*') names = [...coll.indexes.keys()].filter((n) => n !== '_id_');
  else if (typeof which === 'string') names = [which];
  else if (Array.isArray(which)) names = which.map(String);
  else if (isPlainObject(which)) {
    const found = [...coll.indexes.values()].find((i) => compareValues(i.spec.key, which) === 0);
    if (!found) throw new CommandError(27, 'IndexNotFound', `can't find index with key: ${JSON.stringify(which)}`);
    names = [found.name];
  } else throw badValue('index must be a string, array or object');
  for (const n of names) await ctx.engine.dropIndex(coll, n);
  return { nIndexesWas, ok: 1 };
};

export const renameCollection: Handler = async (cmd, ctx) => {
  const from = String(cmd.renameCollection);
  const to = String(cmd.to);
  const [fdb, fname] = splitNs(from);
  const [tdb, tname] = splitNs(to);
  const coll = ctx.engine.collection(fdb, fname);
  if (!coll) throw namespaceNotFound(`Source collection ${from} does not exist`);
  if (cmd.dropTarget === true) await ctx.engine.dropCollection(tdb, tname);
  await ctx.engine.renameCollection(coll, tdb, tname);
  return { ok: 1 };
};
