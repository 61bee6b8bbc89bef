import { badRequest } from '../../errors/operation-outcome-error';
import type { Prefix } from '../types';

const PREFIXES: ReadonlySet<string> = new Set(['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap']);

/**
 * Splits the comparison prefix off an ordered value (date, number, quantity). A value starting with two letters
 * that are not a prefix is malformed (400), not an equality on text.
 */
export function splitPrefix(raw: string, param: string): { prefix: Prefix; rest: string } {
  const m = /^([a-z]{2})(.*)$/s.exec(raw);
  if (!m) return { prefix: 'eq', rest: raw };
  if (!PREFIXES.has(m[1])) throw badRequest(`Unknown prefix "${m[1]}" in the value of ${param}`, param);
  return { prefix: m[1] as Prefix, rest: m[2] };
}

type Bound = Date | number;

/**
 * Range semantics of spec 3.1.1.4.2 for a search range [sl, sh] against an entry range [lo, hi] stored in fields
 * `loField`/`hiField`. eq: the search range contains the value; gt/lt: the value extends above/below it; ge/le:
 * either; sa/eb: entirely after/before; ne: not eq; ap: overlaps the search range widened by `apSlack`.
 */
export function rangeConditions(prefix: Prefix, sl: Bound, sh: Bound, apSlack: { lo: Bound; hi: Bound }, loField = 'lo', hiField = 'hi'): Record<string, unknown> {
  const within = { [loField]: { $gte: sl, $lte: sh }, [hiField]: { $gte: sl, $lte: sh } };
  switch (prefix) {
    case 'eq':
      return within;
    case 'ne':
      return { $or: [{ [loField]: { $lt: sl } }, { [hiField]: { $gt: sh } }] };
    case 'gt':
      return { [hiField]: { $gt: sh } };
    case 'lt':
      return { [loField]: { $lt: sl } };
    // The bound outside the $or is implied by both branches; it is there so an index scan is bounded by it.
    case 'ge':
      return { [hiField]: { $gte: sl }, $or: [{ [hiField]: { $gt: sh } }, within] };
    case 'le':
      return { [loField]: { $lte: sh }, $or: [{ [loField]: { $lt: sl } }, within] };
    case 'sa':
      return { [loField]: { $gt: sh } };
    case 'eb':
      return { [hiField]: { $lt: sl } };
    case 'ap':
      return { [loField]: { $lte: apSlack.hi }, [hiField]: { $gte: apSlack.lo } };
  }
}

/** Field renaming for composites and direct fields: applies to keys, recursing into $or/$and/$nor. */
export function renameFields(cond: Record<string, unknown>, rename: (field: string) => string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cond)) {
    if (k === '$or' || k === '$and' || k === '$nor') {
      out[k] = (v as Record<string, unknown>[]).map((c) => renameFields(c, rename));
    } else out[k.startsWith('$') ? k : rename(k)] = v;
  }
  return out;
}
