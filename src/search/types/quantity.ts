import { badRequest } from '../../errors/operation-outcome-error';
import { splitUnescaped, unescapeValue } from '../escape';
import type { FhirNode } from '../expression';
import { normalizeString } from '../normalize';
import { toCanonical, UCUM_SYSTEM } from '../ucum';
import type { EntryMatch, SearchParam } from '../types';
import { finiteNumber, numberConditions, parseNumberValue, type NumberValue } from './number';
import type { IndexFields, ParamTypeModule } from './param-type';

/**
 * quantity (spec 3.1.1.4.4): `[prefix]number|system|code`. Entries carry the value range, unit system `sy`, unit
 * code `v` and written unit `u`; a UCUM-convertible quantity also gets a canonical entry (`cn`), and a UCUM search
 * value is compared in canonical units against those, so the comparison is unit-aware.
 */
interface Quantity {
  value?: unknown;
  comparator?: string;
  unit?: string;
  system?: string;
  code?: string;
  currency?: string;
  low?: Quantity;
  high?: Quantity;
}

function unitFields(q: Quantity): IndexFields {
  const out: IndexFields = {};
  if (typeof q.system === 'string') out.sy = q.system;
  if (typeof q.code === 'string') out.v = q.code;
  if (typeof q.unit === 'string') out.u = normalizeString(q.unit);
  if (typeof q.currency === 'string') {
    out.v = q.currency;
    out.sy = 'urn:iso:std:iso:4217';
  }
  return out;
}

function entriesFor(lo: number, hi: number, units: Quantity): IndexFields[] {
  const out: IndexFields[] = [{ lo, hi, ...unitFields(units) }];
  if (units.system === UCUM_SYSTEM && typeof units.code === 'string') {
    const a = Number.isFinite(lo) ? toCanonical(lo, units.code) : undefined;
    const b = Number.isFinite(hi) ? toCanonical(hi, units.code) : undefined;
    const unit = a?.unit ?? b?.unit;
    if (unit && unit !== units.code) {
      out.push({ lo: a?.value ?? lo, hi: b?.value ?? hi, sy: UCUM_SYSTEM, v: unit, cn: true });
    }
  }
  return out;
}

function indexQuantity(node: FhirNode): IndexFields[] {
  const q = node.value as Quantity | undefined;
  if (!q || typeof q !== 'object') return [];
  if (q.low || q.high) {
    // Range: [low, high], open ends unbounded.
    const lo = finiteNumber(q.low?.value) ?? -Infinity;
    const hi = finiteNumber(q.high?.value) ?? Infinity;
    return lo <= hi ? entriesFor(lo, hi, q.low ?? q.high ?? {}) : [];
  }
  const value = finiteNumber(q.value);
  if (value === undefined) return [];
  const lo = q.comparator === '<' || q.comparator === '<=' ? -Infinity : value;
  const hi = q.comparator === '>' || q.comparator === '>=' ? Infinity : value;
  return entriesFor(lo, hi, q);
}

export interface QuantityValue {
  number: NumberValue;
  system?: string;
  code?: string;
}

function parseQuantity(raw: string, _modifier: string | undefined, param: SearchParam): QuantityValue {
  const parts = splitUnescaped(raw, '|');
  if (parts.length !== 1 && parts.length !== 3) {
    throw badRequest(`Invalid quantity "${raw}" for ${param.code}: expected number or number|system|code`, param.code);
  }
  const number = parseNumberValue(parts[0], param.code);
  if (parts.length === 1) return { number };
  const system = parts[1] === '' ? undefined : unescapeValue(parts[1]);
  const code = parts[2] === '' ? undefined : unescapeValue(parts[2]);
  return { number, system, code };
}

function compileQuantity(value: QuantityValue): EntryMatch {
  const { number, system, code } = value;
  if (system === UCUM_SYSTEM && code) {
    const lo = toCanonical(number.value - number.half, code);
    const c = toCanonical(number.value, code);
    if (lo && c) {
      const scaled: NumberValue = { prefix: number.prefix, value: c.value, half: c.value - lo.value };
      return { cond: { ...numberConditions(scaled), sy: UCUM_SYSTEM, v: c.unit } };
    }
  }
  // Canonical entries only answer UCUM searches (their magnitudes are in base units).
  const cond: Record<string, unknown> = { ...numberConditions(number), cn: null };
  if (system !== undefined) cond.sy = system;
  if (code !== undefined) {
    // `number||unit`: the unit matches the code or the written unit.
    const unitMatch = system !== undefined ? { v: code } : { $or: [{ v: code }, { u: normalizeString(code) }] };
    return { cond: '$or' in cond && '$or' in unitMatch ? { $and: [cond, unitMatch] } : { ...cond, ...unitMatch } };
  }
  return { cond };
}

export const quantityType: ParamTypeModule<QuantityValue> = {
  modifiers: new Set(),
  index: indexQuantity,
  parse: parseQuantity,
  compile: compileQuantity,
};
