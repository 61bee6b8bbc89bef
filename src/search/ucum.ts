import { LRUCache } from 'lru-cache';
import { lazy } from '../util/lazy';

/**
 * UCUM canonicalisation through NLM's @lhncbc/ucum-lhc: a quantity in any convertible unit becomes its magnitude
 * in base units plus a canonical unit key ('g', 'g.m-1.s-2', ...), so 5.4 mg and 5400 ug compare equal.
 * Special (non-linear) units such as Cel are left alone: they cannot be compared by scaling.
 */
interface UcumConversion {
  status: string;
  magnitude?: number;
  unitToExp?: Record<string, number>;
  fromUnitIsSpecial?: boolean;
}

interface UcumUtils {
  convertToBaseUnits(unit: string, value: number): UcumConversion;
}

export const UCUM_SYSTEM = 'http://unitsofmeasure.org';

/** Loaded on first use: its tables take a while to read, and most servers see few quantities. */
const ucum = lazy(
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  () => (require('@lhncbc/ucum-lhc') as { UcumLhcUtils: { getInstance(): UcumUtils } }).UcumLhcUtils.getInstance(),
);

/** Canonical forms of the unit codes seen (`false`: not a linear UCUM unit; lru-cache keeps no null values). */
const cache = new LRUCache<string, { factor: number; unit: string } | false>({ max: 10_000 });

function canonicalUnit(code: string): { factor: number; unit: string } | null {
  let hit = cache.get(code);
  if (hit === undefined) {
    hit = toBaseUnits(code);
    cache.set(code, hit);
  }
  return hit || null;
}

function toBaseUnits(code: string): { factor: number; unit: string } | false {
  try {
    const r = ucum().convertToBaseUnits(code, 1);
    if (r.status === 'succeeded' && !r.fromUnitIsSpecial && typeof r.magnitude === 'number' && r.unitToExp) {
      const unit = Object.entries(r.unitToExp)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([u, e]) => (e === 1 ? u : `${u}${e}`))
        .join('.');
      return { factor: r.magnitude, unit: unit || '1' };
    }
  } catch {
    // An unparseable code is simply not a UCUM unit.
  }
  return false;
}

/** `value code` in canonical units, or undefined when the code is not a linear UCUM unit. */
export function toCanonical(value: number, code: string): { value: number; unit: string } | undefined {
  const c = canonicalUnit(code);
  return c ? { value: value * c.factor, unit: c.unit } : undefined;
}
