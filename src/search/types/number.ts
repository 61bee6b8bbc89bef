import { badRequest } from '../../errors/operation-outcome-error';
import type { FhirNode } from '../expression';
import type { EntryMatch, Prefix, SearchParam } from '../types';
import type { IndexFields, ParamTypeModule } from './param-type';
import { rangeConditions, splitPrefix } from './prefix';

/**
 * number (spec 3.1.1.4.3): a resource value is stored as the range [value, value]; a search value's precision is
 * its range (`100` is [99.5, 100.5), `100.00` is [99.995, 100.005)), and gt/lt/ge/le compare with the value itself.
 */
const NUMBER = /^[+-]?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

export interface NumberValue {
  prefix: Prefix;
  value: number;
  /** Half a unit of the last significant digit. */
  half: number;
}

export function parseNumberValue(raw: string, param: string): NumberValue {
  const { prefix, rest } = splitPrefix(raw, param);
  const m = NUMBER.exec(rest);
  const value = Number(rest);
  if (!m || !Number.isFinite(value)) throw badRequest(`Invalid number "${raw}" for ${param}`, param);
  const decimals = m[2]?.length ?? 0;
  const exponent = Number(m[3] ?? 0);
  return { prefix, value, half: 0.5 * 10 ** (exponent - decimals) };
}

/** Conditions on [lo, hi] fields for a number search value. */
export function numberConditions(n: NumberValue, loField = 'lo', hiField = 'hi'): Record<string, unknown> {
  const sl = n.value - n.half;
  const sh = n.value + n.half;
  const slack = Math.abs(n.value) * 0.1;
  switch (n.prefix) {
    case 'gt':
    case 'sa':
      return { [hiField]: { $gt: n.value } };
    case 'lt':
    case 'eb':
      return { [loField]: { $lt: n.value } };
    case 'ge':
      return { [hiField]: { $gte: n.value } };
    case 'le':
      return { [loField]: { $lte: n.value } };
    case 'ap':
      return rangeConditions('ap', sl, sh, { lo: n.value - slack, hi: n.value + slack }, loField, hiField);
    default:
      // eq/ne: the precision range, upper end exclusive.
      return n.prefix === 'eq' ? { [loField]: { $gte: sl }, [hiField]: { $lt: sh } } : { $or: [{ [loField]: { $lt: sl } }, { [hiField]: { $gte: sh } }] };
  }
}

export function finiteNumber(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

export const numberType: ParamTypeModule<NumberValue> = {
  modifiers: new Set(),
  index(node: FhirNode): IndexFields[] {
    const n = finiteNumber(node.value);
    return n === undefined ? [] : [{ lo: n, hi: n }];
  },
  parse(raw: string, _modifier: string | undefined, param: SearchParam): NumberValue {
    return parseNumberValue(raw, param.code);
  },
  compile(value: NumberValue): EntryMatch {
    return { cond: numberConditions(value) };
  },
};
