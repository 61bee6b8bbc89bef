/**
 * find/findAndModify projections. Plain inclusion/exclusion (dotted paths included) is done here, keeping `_id`
 * first as MongoDB does; projections with operators (`$elemMatch`, `$slice`, expressions) are delegated to mingo.
 */
import { Query } from 'mingo';
import { CommandError, badValue } from '../errors';
import { Doc } from './matcher';
import { isPlainObject, splitPath } from './paths';

/**
 * `plain`: an inclusion or exclusion by path, whose documents hold the source's values unchanged or copies of them
 * with parts left out (engine/stored-bytes.ts copies the unchanged ones from the stored bytes).
 */
export type Projector = ((doc: Doc) => Doc) & { plain?: boolean };

const identity: Projector = Object.assign((d: Doc) => d, { plain: true });

function includeInto(src: unknown, dst: Doc, parts: string[], i: number): void {
  if (!isPlainObject(src)) return;
  const key = parts[i];
  const v = src[key];
  if (v === undefined) return;
  if (i === parts.length - 1) {
    dst[key] = v;
    return;
  }
  if (Array.isArray(v)) {
    const out: unknown[] = Array.isArray(dst[key]) ? (dst[key] as unknown[]) : [];
    v.forEach((e, j) => {
      if (!isPlainObject(e)) return;
      const target = (isPlainObject(out[j]) ? out[j] : {}) as Doc;
      includeInto(e, target, parts, i + 1);
      out[j] = target;
    });
    dst[key] = out.filter((e) => e !== undefined);
    return;
  }
  if (isPlainObject(v)) {
    const target = (isPlainObject(dst[key]) ? dst[key] : {}) as Doc;
    includeInto(v, target, parts, i + 1);
    dst[key] = target;
  }
}

function exclude(src: unknown, parts: string[], i: number): unknown {
  if (Array.isArray(src)) return src.map((e) => (isPlainObject(e) ? exclude(e, parts, i) : e));
  if (!isPlainObject(src) || !(parts[i] in src)) return src;
  const copy: Doc = { ...src };
  if (i === parts.length - 1) delete copy[parts[i]];
  else copy[parts[i]] = exclude(copy[parts[i]], parts, i + 1);
  return copy;
}

export function compileProjection(projection: unknown): Projector {
  if (projection === undefined || projection === null) return identity;
  if (!isPlainObject(projection)) throw badValue('projection must be an object');
  const entries = Object.entries(projection);
  if (entries.length === 0) return identity;
  const complex = entries.some(([k, v]) => k.includes('$') || (typeof v === 'object' && v !== null) || typeof v === 'string');
  if (complex) {
    const q = new Query({}, {});
    return (doc) => q.find([doc], projection as Doc).next() as Doc;
  }
  let idWanted = true;
  const includes: string[][] = [];
  const excludes: string[][] = [];
  for (const [k, v] of entries) {
    const on = v === true || (typeof v === 'number' && v !== 0);
    if (k === '_id') idWanted = on;
    else (on ? includes : excludes).push(splitPath(k));
  }
  if (includes.length > 0 && excludes.length > 0) {
    throw new CommandError(31254, 'Location31254', `Cannot do exclusion on field ${excludes[0].join('.')} in inclusion projection`);
  }
  if (includes.length > 0) {
    return Object.assign(
      (doc: Doc) => {
        const out: Doc = {};
        if (idWanted && doc._id !== undefined) out._id = doc._id;
        for (const p of includes) includeInto(doc, out, p, 0);
        return out;
      },
      { plain: true },
    );
  }
  if (!idWanted) excludes.push(['_id']);
  return Object.assign((doc: Doc) => excludes.reduce<unknown>((d, p) => exclude(d, p, 0), doc) as Doc, { plain: true });
}
