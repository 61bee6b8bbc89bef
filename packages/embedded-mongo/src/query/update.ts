/**
 * Update documents: operator updates (applied with mingo's updater on a private copy, plus `$setOnInsert` which
 * mingo lacks), replacements and pipeline updates, with MongoDB's validation (immutable `_id`, unknown modifiers,
 * conflicting paths). Stored documents are never mutated: every update produces a new object.
 */
import { Aggregator, update as mingoUpdate } from 'mingo';
import { CommandError, badValue, failedToParse, immutableField } from '../errors';
import { compareValues } from '../values/bson-order';
import { Doc } from './matcher';
import { applyInt64Arithmetic } from './int64-arithmetic';
import { isPlainObject, setPath, splitPath } from './paths';

const OPERATORS = new Set([
  '$set',
  '$unset',
  '$inc',
  '$mul',
  '$min',
  '$max',
  '$rename',
  '$push',
  '$addToSet',
  '$pull',
  '$pullAll',
  '$pop',
  '$currentDate',
  '$bit',
  '$setOnInsert',
]);

/** Deep copy of plain objects and arrays; BSON values (ObjectId, Binary, ...) are immutable and shared. */
export function cloneDoc<T>(v: T): T {
  if (Array.isArray(v)) return v.map(cloneDoc) as T;
  if (isPlainObject(v)) {
    const out: Doc = {};
    for (const k of Object.keys(v)) out[k] = cloneDoc(v[k]);
    return out as T;
  }
  if (v instanceof Date) return new Date(v.getTime()) as T;
  return v;
}

export type UpdateSpec = Doc | Doc[];

export function isOperatorUpdate(u: UpdateSpec): boolean {
  return !Array.isArray(u) && Object.keys(u).some((k) => k.startsWith('$'));
}

function validateOperators(u: Doc): void {
  const paths: string[] = [];
  for (const [op, fields] of Object.entries(u)) {
    if (!op.startsWith('$')) throw failedToParse(`Unknown modifier: ${op}. Expected a valid update modifier or pipeline-style update specified as an array`);
    if (!OPERATORS.has(op)) throw failedToParse(`Unknown modifier: ${op}. Expected a valid update modifier or pipeline-style update specified as an array`);
    if (!isPlainObject(fields)) throw failedToParse(`Modifiers operate on fields but we found type ${typeof fields} instead.`);
    for (const p of Object.keys(fields)) {
      paths.push(p);
      if (op === '$rename') paths.push(String(fields[p]));
    }
  }
  const norm = paths.map((p) => p.replace(/\.\$(\[[^\]]*\])?/g, ''));
  for (let i = 0; i < norm.length; i++)
    for (let j = i + 1; j < norm.length; j++) {
      const [a, b] = [norm[i], norm[j]];
      if (a === b || a.startsWith(b + '.') || b.startsWith(a + '.')) {
        throw new CommandError(40, 'ConflictingUpdateOperators', `Updating the path '${paths[j]}' would create a conflict at '${paths[i]}'`);
      }
    }
}

function assertSameId(before: Doc, after: Doc): void {
  if (before._id !== undefined && compareValues(before._id, after._id) !== 0) {
    throw immutableField(`Performing an update on the path '_id' would modify the immutable field '_id'`);
  }
}

function validateReplacement(r: Doc): void {
  for (const k of Object.keys(r))
    if (k.startsWith('$')) throw badValue(`The dollar ($) prefixed field '${k}' in '${k}' is not allowed in the context of an update's replacement document.`);
}

/** `$set: {_id: <same>}` is allowed and does nothing; any other operator on `_id` would change it (66). */
function withoutIdNoOp(spec: Doc, doc: Doc, inserting: boolean): Doc {
  if (inserting) return spec;
  let out = spec;
  for (const [op, fields] of Object.entries(spec)) {
    if (op === '$setOnInsert' || !isPlainObject(fields)) continue;
    for (const p of Object.keys(fields)) {
      if (p !== '_id' && !p.startsWith('_id.')) continue;
      if (op === '$set' && p === '_id' && compareValues(fields[p], doc._id) === 0) {
        const { _id: _same, ...others } = fields;
        void _same;
        out = { ...out, [op]: others };
      } else throw immutableField(`Performing an update on the path '_id' would modify the immutable field '_id'`);
    }
  }
  return out;
}

/** Applies an update to a document, returning a new document. `inserting` enables `$setOnInsert`. */
export function applyUpdate(doc: Doc, spec: UpdateSpec, arrayFilters: Doc[] | undefined, inserting: boolean): Doc {
  if (Array.isArray(spec)) {
    const out = new Aggregator(spec as Doc[], {}).run([cloneDoc(doc)])[0] as Doc;
    if (!out) throw badValue('pipeline update produced no document');
    assertSameId(doc, out);
    return out;
  }
  if (!isOperatorUpdate(spec)) {
    validateReplacement(spec);
    const out: Doc = doc._id !== undefined ? { _id: doc._id } : {};
    for (const [k, v] of Object.entries(spec)) if (k !== '_id' || doc._id === undefined) out[k] = v;
    if (spec._id !== undefined) assertSameId(doc, { _id: spec._id });
    return out;
  }
  validateOperators(spec);
  const copy = cloneDoc(doc);
  const { $setOnInsert, ...others } = withoutIdNoOp(spec, doc, inserting);
  if (inserting && isPlainObject($setOnInsert)) for (const [p, v] of Object.entries($setOnInsert)) setPath(copy, splitPath(p), cloneDoc(v));
  const rest = applyInt64Arithmetic(copy, others);
  if (Object.keys(rest).length > 0) {
    try {
      mingoUpdate(copy, rest as never, arrayFilters, undefined, { cloneMode: 'none' });
    } catch (e) {
      if (e instanceof CommandError) throw e;
      throw badValue((e as Error).message);
    }
  }
  if (!inserting) assertSameId(doc, copy);
  return copy;
}

/** The document an upsert starts from: the filter's equality conditions (top-level and `$and`). */
export function upsertSeed(filter: Doc): Doc {
  const seed: Doc = {};
  const visit = (f: Doc) => {
    for (const [k, v] of Object.entries(f)) {
      if (k === '$and' && Array.isArray(v)) v.forEach((c) => isPlainObject(c) && visit(c));
      else if (k.startsWith('$')) continue;
      else if (isPlainObject(v) && Object.keys(v)[0]?.startsWith('$')) {
        if ('$eq' in v) setPath(seed, splitPath(k), cloneDoc(v.$eq));
        else if (Array.isArray(v.$in) && v.$in.length === 1) setPath(seed, splitPath(k), cloneDoc(v.$in[0]));
      } else setPath(seed, splitPath(k), cloneDoc(v));
    }
  };
  visit(filter);
  return seed;
}
