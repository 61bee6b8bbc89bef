/**
 * Bulk export bench: a system-level `$export` of a Synthea store the size of the one the issue compared with the
 * reference server (100 patients, 39k resources: `S17`), against the real server in its own process (as `npm start`
 * runs it). Reports the time to all files downloaded, resources/s, and the server's anonymous memory (RssAnon:
 * heap and buffers, both threads, not the file pages the OS maps) at idle and at its peak during the export. Each
 * server runs two exports, the first deleted before the second (its files removed as at expiry), so the second's
 * peak shows whether that space was given back for reuse.
 *
 * The store is built once by bench/lib/store-builder.ts: the Synthea bundles of ../shared (or BENCH_SYNTHEA_DIR)
 * cloned with new ids up to the size asked, or generated bundles of the same shape when there are none.
 *
 * Run alone:  npm run build && node dist/bench/export.js [--quick] [--resources N] [--storage gridfs|dir]
 *             [--encoding gzip|identity] [--rounds N] [--cpu-prof]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildStoreInChild } from './lib/build-store';
import { summariseProfile, type ProfileSummary, type TimeWindow } from './lib/cpu-profile';
import { PROJECT_ROOT, cpuSeconds, startChildServer, waitIdle } from './lib/server-process';

export interface ExportBenchOptions {
  /** Resources in the store (default 39,000: the 100 Synthea patients). */
  resources?: number;
  /** Where the files go: GridFS in the store (the default), or BULK_EXPORT_DIR. */
  storages?: Array<'gridfs' | 'dir'>;
  /** What the client accepts: gzip, as bulk clients ask, and identity. */
  encodings?: Array<'gzip' | 'identity'>;
  /** Files downloaded at once (bulk clients download several). */
  parallel?: number;
  /** Exports one after the other on each server, each deleted before the next (default 2). */
  rounds?: number;
  /** Write a CPU profile of the server for each run and summarise it. */
  cpuProfDir?: string;
}

export interface ExportRun {
  storage: 'gridfs' | 'dir';
  encoding: 'gzip' | 'identity';
  /** 1 for the server's first export, 2 for the next once the first was deleted, ... */
  round: number;
  resources: number;
  files: number;
  /** NDJSON bytes as stored (uncompressed), and as they came over the wire. */
  exportMB: number;
  wireMB: number;
  /** Kick-off to complete manifest, and kick-off to the last byte of the last file. */
  secondsToManifest: number;
  secondsToAllDownloaded: number;
  resourcesPerSecond: number;
  serverCpuSeconds?: number;
  /** The server's, idle after start-up (before its first export); growth is the peak's above it. */
  rssAnonIdleMB?: number;
  rssAnonPeakMB?: number;
  rssAnonGrowthMB?: number;
  /** After the job was deleted (its files removed) and the server had settled. */
  rssAnonAfterDeleteMB?: number;
  loadAverage: number[];
  /** With cpuProfDir: the busiest functions and files of the server's thread and of the engine's, during the export. */
  profile?: Record<string, Pick<ProfileSummary, 'totalMs'> & { top: string[]; files: string[]; inclusive: string[] }>;
}

export interface ExportBenchResult {
  source: 'shared' | 'generated';
  resources: number;
  patients: number;
  types: number;
  buildSeconds: number;
  runs: ExportRun[];
}

/** The anonymous resident memory of a process in MB (Linux; undefined elsewhere). */
export function rssAnonMb(pid: number): number | undefined {
  try {
    const m = /RssAnon:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

const round = (n: number | undefined, digits = 0) => (n === undefined ? undefined : Math.round(n * 10 ** digits) / 10 ** digits);

interface Manifest {
  output: Array<{ url: string; count: number }>;
}

/** Kick-off, poll until the manifest, then download every file `parallel` at a time, counting lines as they arrive. */
async function exportAll(baseUrl: string, encoding: string, parallel: number) {
  const t0 = performance.now();
  const kick = await fetch(`${baseUrl}/$export`, { headers: { prefer: 'respond-async', accept: 'application/fhir+json' } });
  if (kick.status !== 202) throw new Error(`kick-off failed: ${kick.status} ${await kick.text()}`);
  const status = kick.headers.get('content-location') as string;
  let manifest: Manifest;
  for (;;) {
    const res = await fetch(status, { headers: { accept: 'application/json' } });
    if (res.status === 200) {
      manifest = (await res.json()) as Manifest;
      break;
    }
    if (res.status !== 202) throw new Error(`export failed: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, 50));
  }
  const toManifest = performance.now() - t0;
  let lines = 0;
  let bytes = 0;
  const queue = [...manifest.output];
  const worker = async () => {
    for (let f = queue.shift(); f; f = queue.shift()) {
      // fetch decodes gzip itself: these are the NDJSON bytes.
      const res = await fetch(f.url, { headers: { 'accept-encoding': encoding } });
      if (res.status !== 200) throw new Error(`download ${f.url}: ${res.status}`);
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        bytes += chunk.value.length;
        for (let at = chunk.value.indexOf(10); at >= 0; at = chunk.value.indexOf(10, at + 1)) lines++;
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  const toAll = performance.now() - t0;
  const expected = manifest.output.reduce((n, f) => n + f.count, 0);
  if (lines !== expected) throw new Error(`downloaded ${lines} lines, the manifest counts ${expected}`);
  return { status, toManifest, toAll, lines, bytes, files: manifest.output.length };
}

/** Compressed bytes of one file, asked again outside the timed run (fetch hides the encoded length). */
async function wireBytes(url: string, encoding: string): Promise<number> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    request(url, { headers: { 'accept-encoding': encoding } }, (res) => {
      let n = 0;
      res.on('data', (c: Buffer) => (n += c.length));
      res.on('end', () => resolve(n));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

type RunOptions = Required<Omit<ExportBenchOptions, 'cpuProfDir'>> & Pick<ExportBenchOptions, 'cpuProfDir'>;

/** One export on a running server, its job deleted (its files removed, as at expiry) and the server settled after. */
async function exportRound(pid: number, baseUrl: string, encoding: 'gzip' | 'identity', o: RunOptions, idle: number | undefined) {
  let peak = rssAnonMb(pid) ?? 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rssAnonMb(pid) ?? 0)), 20);
  const cpu0 = cpuSeconds(pid);
  const start = process.hrtime.bigint();
  const r = await exportAll(baseUrl, encoding, o.parallel).finally(() => clearInterval(sampler));
  const window: TimeWindow = [start, process.hrtime.bigint()];
  const cpu1 = cpuSeconds(pid);
  const loadAverage = os.loadavg().map((l) => Math.round(l * 10) / 10);
  // The encoded size: the files asked once more, untimed (fetch hides the encoded length).
  const manifest = (await (await fetch(r.status, { headers: { accept: 'application/json' } })).json()) as Manifest;
  let wire = 0;
  for (const f of manifest.output) wire += await wireBytes(f.url, encoding);
  await fetch(r.status, { method: 'DELETE' });
  await new Promise((resolve) => setTimeout(resolve, 2000));
  await waitIdle(pid);
  const afterDelete = rssAnonMb(pid);
  const run: Omit<ExportRun, 'storage' | 'encoding' | 'round'> = {
    resources: r.lines,
    files: r.files,
    exportMB: round(r.bytes / 2 ** 20, 1) as number,
    wireMB: round(wire / 2 ** 20, 1) as number,
    secondsToManifest: round(r.toManifest / 1000, 2) as number,
    secondsToAllDownloaded: round(r.toAll / 1000, 2) as number,
    resourcesPerSecond: Math.round((r.lines / r.toAll) * 1000),
    serverCpuSeconds: cpu0 !== undefined && cpu1 !== undefined ? round(cpu1 - cpu0, 2) : undefined,
    rssAnonIdleMB: round(idle),
    rssAnonPeakMB: round(peak),
    rssAnonGrowthMB: idle === undefined ? undefined : round(peak - idle),
    rssAnonAfterDeleteMB: round(afterDelete),
    loadAverage,
  };
  return { run, window };
}

/** The busiest functions, files and project files (inclusive) of one thread's profile within `window`. */
function profileOf(file: string, window: TimeWindow) {
  const p = summariseProfile(file, PROJECT_ROOT, 25, window);
  const list = (items: typeof p.files, n: number) => items.slice(0, n).map((f) => `${f.selfPercent.toFixed(1)}% ${f.name}`);
  return { totalMs: p.totalMs, top: list(p.functions, 12), files: list(p.files, 10), inclusive: list(p.inclusive, 10) };
}

/**
 * `rounds` exports on one fresh server over the built store (its idle memory is the store's, not an earlier
 * run's), each deleted before the next: a later round's peak shows whether the space of a removed export is
 * given back for reuse, or added to.
 */
async function run(dataDir: string, storage: 'gridfs' | 'dir', encoding: 'gzip' | 'identity', o: RunOptions): Promise<ExportRun[]> {
  const exportDir = storage === 'dir' ? mkdtempSync(path.join(os.tmpdir(), 'bench-export-files-')) : undefined;
  const server = await startChildServer({ dataDir, env: exportDir ? { BULK_EXPORT_DIR: exportDir } : {}, cpuProfDir: o.cpuProfDir });
  let stopped = false;
  try {
    await waitIdle(server.pid);
    const rounds: Array<Awaited<ReturnType<typeof exportRound>>> = [];
    const idle = rssAnonMb(server.pid);
    for (let i = 0; i < o.rounds; i++) rounds.push(await exportRound(server.pid, server.baseUrl, encoding, o, idle));
    stopped = true;
    // One profile per thread: the server's first, then the embedded engine's.
    const profiles = ((await server.stop()) ?? []).slice(0, 2);
    return rounds.map(({ run, window }, i) => ({
      storage,
      encoding,
      round: i + 1,
      ...run,
      profile: profiles.length ? Object.fromEntries(profiles.map((file, t) => [t === 0 ? 'server' : 'engine', profileOf(file, window)])) : undefined,
    }));
  } finally {
    if (!stopped) await server.stop();
    if (exportDir) rmSync(exportDir, { recursive: true, force: true });
  }
}

export async function benchExport(opts: ExportBenchOptions = {}): Promise<ExportBenchResult> {
  const o: RunOptions = {
    resources: 39_000,
    parallel: 4,
    rounds: 2,
    ...opts,
    storages: opts.storages ?? ['gridfs', 'dir'],
    encodings: opts.encodings ?? ['gzip', 'identity'],
  };
  const work = mkdtempSync(path.join(os.tmpdir(), 'bench-export-'));
  try {
    const dataDir = path.join(work, 'data');
    const built = await buildStoreInChild(dataDir, o.resources, 4096);
    const runs: ExportRun[] = [];
    for (const storage of o.storages) for (const encoding of o.encodings) runs.push(...(await run(dataDir, storage, encoding, o)));
    return {
      source: built.source,
      resources: built.resources,
      patients: built.types.Patient ?? 0,
      types: Object.keys(built.types).length,
      buildSeconds: Math.round(built.seconds),
      runs,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      resources: { type: 'string' },
      storage: { type: 'string' },
      encoding: { type: 'string' },
      rounds: { type: 'string' },
      'cpu-prof': { type: 'boolean', default: false },
    },
  });
  const profDir = values['cpu-prof'] ? mkdtempSync(path.join(os.tmpdir(), 'bench-export-prof-')) : undefined;
  benchExport({
    resources: Number(values.resources ?? (values.quick ? 10_000 : 39_000)),
    storages: values.storage ? [values.storage as 'gridfs' | 'dir'] : undefined,
    encodings: values.encoding ? [values.encoding as 'gzip' | 'identity'] : undefined,
    rounds: values.rounds ? Number(values.rounds) : undefined,
    cpuProfDir: profDir,
  }).then(
    (r) => {
      const { runs, ...store } = r;
      console.log(store);
      console.table(runs.map(({ profile: _p, loadAverage, ...row }) => ({ ...row, load: loadAverage.join(' ') })));
      for (const run of runs.filter((x) => x.profile)) console.dir({ run: `${run.storage}/${run.encoding} round ${run.round}`, ...run.profile }, { depth: 4 });
      process.stdout.write('', () => process.exit(0));
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
