import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hammer, type LoadResult } from './lib/load-gen';
import { cpuDuring, msPerUnit, startBaseline, waitIdle } from './lib/server-process';

export const BASELINES = ['node', 'express', 'express-find'] as const;
type Baseline = (typeof BASELINES)[number];

export interface MeasuredRun extends LoadResult {
  /** CPU of the server's process (every thread) per request of the measured run, milliseconds. */
  cpuMsPerRequest?: number;
}

export interface ReadRatioResult {
  fhir: MeasuredRun;
  /** The same client against each baseline server (bench/lib/baseline-server.ts). */
  baselines: Record<Baseline, MeasuredRun>;
  /** FHIR server requests/s as a share of the bare node:http server's, percent: the goal. */
  ratioPercent: number;
  bodyBytes: number;
}

/** `n` as a share of `of`, percent, one decimal. */
export const percentOf = (n: number, of: number): number => Math.round((n / of) * 1000) / 10;

/** Headers a client sees that the baselines should send as well (framing ones are their own). */
const KEPT_HEADERS = ['content-type', 'etag', 'last-modified', 'location', 'cache-control', 'vary'];

/**
 * Read by id (GET [base]/Patient/[id]) against the server, then the same client, connections and duration against
 * each baseline answering the same bytes: bare node:http (the goal's ratio is against it), Express 5 alone, and
 * Express 5 with one driver round trip to an embedded engine. The last two say how much of the gap to node:http
 * the chosen framework and storage path take before any FHIR work is done.
 */
export async function benchReadRatio(opts: { baseUrl: string; serverPid: number; path: string; connections: number; seconds: number }): Promise<ReadRatioResult> {
  const target = `${opts.baseUrl}/${opts.path}`;
  const res = await fetch(target, { headers: { accept: 'application/fhir+json' } });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`GET ${opts.path} answered ${res.status}: ${body.slice(0, 200)}`);
  const headers: Record<string, string> = {};
  for (const h of KEPT_HEADERS) {
    const v = res.headers.get(h);
    if (v) headers[h] = v;
  }
  const accept = { accept: 'application/fhir+json' };
  // JIT, the driver's pool and the engine thread warm up on the first requests: a short run first, for every server.
  const warmedRun = async (url: string, pid: number): Promise<MeasuredRun> => {
    await hammer({ url, connections: opts.connections, duration: 1, headers: accept });
    const { value: result, cpuSeconds } = await cpuDuring(pid, () => hammer({ url, connections: opts.connections, duration: opts.seconds, headers: accept }));
    return { ...result, cpuMsPerRequest: msPerUnit(cpuSeconds, result.requests) };
  };
  const fhir = await warmedRun(target, opts.serverPid);
  await waitIdle(opts.serverPid);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fhirstone-baseline-read-'));
  const file = path.join(dir, 'response.json');
  writeFileSync(file, JSON.stringify({ headers, body }));
  const baselines = {} as Record<Baseline, MeasuredRun>;
  try {
    for (const kind of BASELINES) {
      const server = await startBaseline(kind, file);
      try {
        baselines[kind] = await warmedRun(`${server.url}/fhir/${opts.path}`, server.pid);
      } finally {
        await server.stop();
      }
      const { non2xx, errors } = baselines[kind];
      // A baseline that answers errors fast would make the comparison meaningless.
      if (non2xx || errors) throw new Error(`the ${kind} baseline answered ${non2xx} non-2xx responses and ${errors} errors`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { fhir, baselines, ratioPercent: percentOf(fhir.requestsPerSecond, baselines.node.requestsPerSecond), bodyBytes: Buffer.byteLength(body) };
}
