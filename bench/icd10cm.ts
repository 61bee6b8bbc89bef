/**
 * ICD-10-CM bench: what loading the shipped order files costs (wall and CPU time, the longest the event loop is held,
 * heap kept, RSS added), how fast lookups are once loaded, and what it does to the real server: time to ready (the
 * code set is loaded on first use, not at start) and the latency of the first `CodeSystem/$lookup`, which waits for
 * the load, against the next ones.
 *
 * Run alone:  npm run build && node --expose-gc dist/bench/icd10cm.js [--quick]
 * In the suite: npm run bench -- --only icd10cm
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { buildIcd10Cm, bundledIcd10CmDir, type Icd10CmCodeSystem } from '../src/terminology/icd10cm';
import { startChildServer } from './lib/server-process';

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const gc = () => (globalThis as { gc?: () => void }).gc?.();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface LoadRound {
  ms: number;
  cpuMs: number;
  /** The longest the event loop waited during the load: what a request arriving then waits at most. */
  maxLoopDelayMs: number;
}

async function loadOnce(): Promise<{ round: LoadRound; cs: Icd10CmCodeSystem }> {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const cpu = process.cpuUsage();
  const start = performance.now();
  const { codeSystem } = await buildIcd10Cm(bundledIcd10CmDir());
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  loop.disable();
  return { round: { ms: Math.round(ms), cpuMs: Math.round((used.user + used.system) / 1000), maxLoopDelayMs: Math.round(loop.max / 1e6) }, cs: codeSystem };
}

/** Lookups per second over every 7th code of the latest year, at a date in each loaded year. */
function lookupsPerSecond(cs: Icd10CmCodeSystem): number {
  const codes = ['E11.9', 'B88.0', 'E11.A', 'S72.001A', 'I10', 'Z00.00', 'U07.1', 'J45.909', 'A00.0', 'E11'];
  const dates = ['2024-03-01', '2025-03-01', '2025-10-01T08:00:00-05:00'];
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < 500) {
    for (const c of codes) for (const d of dates) if (cs.lookup(c, d)) n++;
  }
  return Math.round(n / ((performance.now() - start) / 1000));
}

async function serverFigures(): Promise<Record<string, number | undefined>> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fhirstone-bench-icd-'));
  const server = await startChildServer({ dataDir, env: { LOG_LEVEL: 'warn' } });
  try {
    const rss = () => {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'));
      return m ? Math.round(Number(m[1]) / 1024) : undefined;
    };
    const lookup = async () => {
      const start = performance.now();
      const res = await fetch(`${server.baseUrl}/CodeSystem/$lookup?system=http://hl7.org/fhir/sid/icd-10-cm&code=E11.9&date=2025-10-01`);
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`$lookup answered ${res.status}`);
      return performance.now() - start;
    };
    const rssBefore = rss();
    const first = await lookup();
    const next: number[] = [];
    for (let i = 0; i < 20; i++) next.push(await lookup());
    return {
      server_start_to_ready_ms: Math.round(server.startMs),
      first_lookup_ms: Math.round(first),
      next_lookups_median_ms: Math.round(median(next) * 10) / 10,
      server_rss_before_mb: rssBefore,
      server_rss_after_mb: rss(),
    };
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function benchIcd10cm(opts: { quick?: boolean } = {}): Promise<Record<string, unknown>> {
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const rssBefore = process.memoryUsage().rss;
  const rounds: LoadRound[] = [];
  let cs: Icd10CmCodeSystem | undefined;
  for (let i = 0; i < (opts.quick ? 1 : 3); i++) {
    // The last round's code set is kept (the others are garbage): the heap it holds is what a server holds.
    const loaded = await loadOnce();
    rounds.push(loaded.round);
    cs = loaded.cs;
    gc();
  }
  const heapKept = process.memoryUsage().heapUsed - heapBefore;
  if (!cs) throw new Error('no load round');
  return {
    years: cs.years.join(','),
    codes: cs.size,
    load_ms_median: median(rounds.map((r) => r.ms)),
    load_cpu_ms_median: median(rounds.map((r) => r.cpuMs)),
    max_event_loop_delay_ms: Math.max(...rounds.map((r) => r.maxLoopDelayMs)),
    heap_kept_mb: mb(heapKept),
    rss_added_mb: mb(process.memoryUsage().rss - rssBefore),
    lookups_per_s: lookupsPerSecond(cs),
    ...(await serverFigures()),
  };
}

if (require.main === module) {
  benchIcd10cm({ quick: process.argv.includes('--quick') }).then(
    (r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
