import type { Bundle } from 'fhir/r4';
import type { BuiltStore } from './store-builder';
import { percentile } from './stats';

export interface QueryTiming {
  p50Ms: number;
  p99Ms: number;
  /** Mean Bundle.total: a query that matches nothing measures nothing. */
  meanTotal: number;
  errors: number;
}

/**
 * Typical searches end to end over HTTP (one client, one request at a time, first page of 20 with the total):
 * a patient's encounters newest first, active conditions by code, encounters in a month, patients by name prefix.
 */
export async function benchHttpSearch(baseUrl: string, samples: BuiltStore['samples'], iterations: number): Promise<Record<string, QueryTiming>> {
  let seed = 42;
  const pick = <T>(list: T[]): T => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return list[seed % list.length];
  };
  const queries: Record<string, () => string> = {
    "patient's encounters": () => `Encounter?patient=Patient/${pick(samples.patients)}&_sort=-date`,
    'active conditions by code': () => `Condition?clinical-status=active&code=${encodeURIComponent(pick(samples.conditionCodes))}`,
    'encounters in a date range': () => {
      const y = 1990 + (pick([...Array(30).keys()]) as number);
      return `Encounter?date=ge${y}-03-01&date=lt${y}-04-01`;
    },
    'name prefix': () => `Patient?name=${encodeURIComponent(pick(samples.families).slice(0, 3))}`,
  };
  const out: Record<string, QueryTiming> = {};
  for (const [name, make] of Object.entries(queries)) {
    const times: number[] = [];
    let total = 0;
    let errors = 0;
    for (let i = 0; i < iterations + 5; i++) {
      const t = process.hrtime.bigint();
      const res = await fetch(`${baseUrl}/${make()}&_count=20&_total=accurate`, { headers: { accept: 'application/fhir+json' } });
      const body = (await res.json()) as Bundle;
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      if (i < 5) continue; // warm-up
      times.push(ms);
      if (res.status !== 200) errors++;
      total += body.total ?? 0;
    }
    out[name] = {
      p50Ms: Math.round(percentile(times, 50) * 10) / 10,
      p99Ms: Math.round(percentile(times, 99) * 10) / 10,
      meanTotal: Math.round((total / iterations) * 10) / 10,
      errors,
    };
  }
  return out;
}
