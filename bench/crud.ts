import type { Resource } from 'fhir/r4';
import type autocannon from 'autocannon';
import { hammer, type LoadResult } from './lib/load-gen';

/**
 * The CRUD mix of the public Health Samurai FHIR benchmark: each connection repeats create, read, update, delete
 * of one resource, rotating through Patient, Encounter and Condition, so a quarter of the requests are each
 * interaction. Latency percentiles are over all four.
 */

const JSON_HEADERS = { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' };

function sample(type: string, n: number, patientId: string): Resource {
  switch (type) {
    case 'Patient':
      return { resourceType: 'Patient', name: [{ family: `Bench${n}`, given: ['Crud'] }], gender: 'female', birthDate: '1980-02-03' } as Resource;
    case 'Encounter':
      return {
        resourceType: 'Encounter',
        status: 'finished',
        class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
        subject: { reference: `Patient/${patientId}` },
        period: { start: '2024-01-02T09:00:00Z', end: '2024-01-02T09:30:00Z' },
      } as Resource;
    default:
      return {
        resourceType: 'Condition',
        clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
        code: { coding: [{ system: 'http://snomed.info/sct', code: '38341003', display: 'Hypertension' }] },
        subject: { reference: `Patient/${patientId}` },
      } as Resource;
  }
}

const TYPES = ['Patient', 'Encounter', 'Condition'];

export function crudRequests(basePath: string, patientId: string): autocannon.RequestSpec[] {
  let counter = 0;
  return [
    {
      method: 'POST',
      headers: JSON_HEADERS,
      setupRequest(req, ctx) {
        const n = counter++;
        const type = TYPES[n % TYPES.length];
        ctx.type = type;
        ctx.n = n;
        return { ...req, path: `${basePath}/${type}`, body: JSON.stringify(sample(type, n, patientId)) };
      },
      onResponse(status, body, ctx) {
        ctx.id = status === 201 ? (JSON.parse(body) as Resource).id : undefined;
      },
    },
    {
      method: 'GET',
      headers: { accept: 'application/fhir+json' },
      // No id (the create failed, already counted): start the cycle again.
      setupRequest: (req, ctx) => (ctx.id ? { ...req, path: `${basePath}/${ctx.type}/${ctx.id}` } : undefined),
    },
    {
      method: 'PUT',
      headers: JSON_HEADERS,
      setupRequest(req, ctx) {
        if (!ctx.id) return undefined;
        const resource = { ...sample(ctx.type as string, ctx.n as number, patientId), id: ctx.id } as Resource & { status?: string };
        if (resource.resourceType === 'Encounter') resource.status = 'cancelled';
        return { ...req, path: `${basePath}/${ctx.type}/${ctx.id}`, body: JSON.stringify(resource) };
      },
    },
    {
      method: 'DELETE',
      setupRequest: (req, ctx) => (ctx.id ? { ...req, path: `${basePath}/${ctx.type}/${ctx.id}` } : undefined),
    },
  ];
}

export interface CrudOptions {
  baseUrl: string;
  /** A stored Patient the Encounters and Conditions refer to (reference validation). */
  patientId: string;
  connections: number[];
  seconds: number;
}

export async function benchCrud(opts: CrudOptions): Promise<Record<string, LoadResult>> {
  const url = new URL(opts.baseUrl);
  const out: Record<string, LoadResult> = {};
  for (const connections of opts.connections) {
    out[`c${connections}`] = await hammer({
      url: url.origin,
      connections,
      duration: opts.seconds,
      requests: crudRequests(url.pathname.replace(/\/$/, ''), opts.patientId),
    });
  }
  return out;
}

/** The driver's count of each store command so far, from a server's `/metrics` (METRICS_STORE_COMMANDS=true). */
async function commandCounts(metricsUrl: string): Promise<Map<string, number>> {
  const text = await (await fetch(metricsUrl)).text();
  const counts = new Map<string, number>();
  for (const m of text.matchAll(/^fhirstone_store_command_duration_seconds_count\{command="([^"]+)",outcome="[^"]+"\} (\d+)/gm)) {
    counts.set(m[1], (counts.get(m[1]) ?? 0) + Number(m[2]));
  }
  return counts;
}

function total(counts: Map<string, number>): number {
  return [...counts.values()].reduce((a, b) => a + b, 0);
}

export interface CommandCount {
  /**
   * Store commands of the request: the fewest any of its samples saw. Background work (a job's lease, a sweep)
   * only ever adds commands to a sample, so the fewest is the request's own.
   */
  perRequest: number;
  /** The mean over the samples, background work included. */
  mean: number;
  /** That fewest sample per command name (find, update, findAndModify, commitTransaction, ...). */
  byCommand: Record<string, number>;
}

/**
 * Store commands per request of each interaction and type of the CRUD mix, one request at a time (so nothing else
 * runs between two scrapes but what the scrape itself sends, measured apart and taken off, and background work).
 * `metricsUrl` is the server's scrape address with store commands monitored; `cycles` create-read-update-delete
 * cycles per type.
 */
export async function countCrudCommands(opts: { baseUrl: string; metricsUrl: string; patientId: string; cycles: number }): Promise<Record<string, CommandCount>> {
  const base = new URL(opts.baseUrl);
  const specs = crudRequests(base.pathname.replace(/\/$/, ''), opts.patientId);
  const interactions = ['create', 'read', 'update', 'delete'];
  const scrapeCost = async () => {
    const a = await commandCounts(opts.metricsUrl);
    return total(await commandCounts(opts.metricsUrl)) - total(a);
  };
  const perScrape = Math.min(await scrapeCost(), await scrapeCost());
  const samples = new Map<string, Array<Map<string, number>>>();
  for (let i = 0; i < opts.cycles * TYPES.length; i++) {
    const ctx: Record<string, unknown> = {};
    for (const [k, spec] of specs.entries()) {
      const before = await commandCounts(opts.metricsUrl);
      const req = spec.setupRequest?.({ method: spec.method, headers: spec.headers, path: '' }, ctx);
      if (!req) throw new Error(`counting commands: no ${interactions[k]} request (the create failed)`);
      const res = await fetch(`${base.origin}${req.path}`, { method: spec.method, headers: spec.headers, body: req.body as string | undefined });
      const body = await res.text();
      if (res.status >= 300) throw new Error(`counting commands: ${spec.method} ${req.path} answered ${res.status}: ${body}`);
      spec.onResponse?.(res.status, body, ctx, {});
      const after = await commandCounts(opts.metricsUrl);
      const key = `${ctx.type as string} ${interactions[k]}`;
      const sample = new Map<string, number>();
      for (const [name, n] of after) if (n - (before.get(name) ?? 0)) sample.set(name, n - (before.get(name) ?? 0));
      // The scrape's own commands (the jobs gauge's aggregate) are not the request's.
      if (perScrape) sample.set('aggregate', (sample.get('aggregate') ?? 0) - perScrape);
      samples.set(key, [...(samples.get(key) ?? []), sample]);
    }
  }
  const out: Record<string, CommandCount> = {};
  for (const [key, list] of samples) {
    const fewest = list.reduce((a, b) => (total(b) < total(a) ? b : a));
    const mean = list.reduce((n, s) => n + total(s), 0) / list.length;
    out[key] = { perRequest: total(fewest), mean: Number(mean.toFixed(2)), byCommand: Object.fromEntries([...fewest].filter(([, n]) => n !== 0)) };
  }
  return out;
}
