import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { benchCrud, countCrudCommands } from './crud';
import { benchDestruction } from './destruction';
import { benchEverything } from './everything';
import { benchMatching } from './matching';
import { benchCompleteness } from './completeness';
import { benchExport } from './export';
import { benchImport } from './import';
import { benchIngest } from './ingest';
import { BASELINES, benchReadRatio, percentOf, type ReadRatioResult } from './read-ratio';
import { benchStartup } from './startup';
import { benchWorkers } from './workers';
import { buildStoreInChild } from './lib/build-store';
import { compareRows, renderComparison, savedRun } from './lib/compare';
import { readProfile, summariseProfile, type TimeWindow } from './lib/cpu-profile';
import { cpuMsByLayer, splitByLayer } from './lib/profile-layers';
import { runExternalBench } from './lib/external';
import { benchHttpSearch } from './lib/http-search';
import { gitCommit, goalRow, machine, renderTable, writeResults, type Row } from './lib/report';
import { type LoadResult } from './lib/load-gen';
import { PROJECT_ROOT, cpuDuring, freePort, msPerUnit, startBaseline, startChildServer, waitIdle, type ChildServer } from './lib/server-process';
import { syntheaBundles } from './lib/synthea';

const PHASES = [
  'ingest',
  'crud',
  'read',
  'search',
  'export',
  'import',
  'everything',
  'completeness',
  'destruction',
  'matching',
  'validation',
  'engine',
  'icd10cm',
  'binary',
  'disclosures',
  'startup',
  'workers',
] as const;
type Phase = (typeof PHASES)[number];

const USAGE = `Usage: npm run bench -- [options]
  --only <list>              Phases to run, comma-separated: ${PHASES.join(',')} (default: all)
  --quick                    Smaller data and shorter runs (about 2 minutes)
  --cpu-prof                 Write a V8 CPU profile of the server during ingest, crud, read, export and import; print its top items
  --duration <s>             Seconds per load-generator run (default 15; quick 5)
  --search-resources <n>     Store size for the search phase (default 100000; quick 20000)
  --startup-resources <n>    Store size for the start-up phase (default 1000000; quick 100000)
  --out <dir>                Results folder (default bench/results)
  --compare <file>           Print each figure beside the same figure of a saved result (a file in the results folder), with the change`;

interface Options {
  phases: Set<Phase>;
  quick: boolean;
  cpuProf: boolean;
  duration: number;
  searchResources: number;
  startupResources: number;
  out: string;
  compare?: string;
}

function options(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: 'string' },
      quick: { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      duration: { type: 'string' },
      'search-resources': { type: 'string' },
      'startup-resources': { type: 'string' },
      out: { type: 'string' },
      compare: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const only = values.only
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean) ?? [...PHASES];
  const unknown = only.filter((p) => !(PHASES as readonly string[]).includes(p));
  if (unknown.length) throw new Error(`unknown phase(s) ${unknown.join(', ')}; choose from ${PHASES.join(', ')}`);
  const quick = values.quick ?? false;
  const num = (v: string | undefined, fallback: number) => (v === undefined ? fallback : Number(v));
  return {
    phases: new Set(only as Phase[]),
    quick,
    cpuProf: values['cpu-prof'] ?? false,
    duration: num(values.duration, quick ? 5 : 15),
    searchResources: num(values['search-resources'], quick ? 20_000 : 100_000),
    startupResources: num(values['startup-resources'], quick ? 100_000 : 1_000_000),
    out: path.resolve(values.out ?? path.join(PROJECT_ROOT, 'bench', 'results')),
    compare: values.compare === undefined ? undefined : path.resolve(values.compare),
  };
}

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

/** Runs `fn` and returns its result with the server's CPU seconds over it (steadier than wall time on a busy box). */
async function withCpu<T>(server: ChildServer, fn: () => Promise<T>): Promise<{ value: T; serverCpuSeconds?: number; window: TimeWindow }> {
  const start = process.hrtime.bigint();
  const { value, cpuSeconds } = await cpuDuring(server.pid, fn);
  const window: TimeWindow = [start, process.hrtime.bigint()];
  return { value, window, serverCpuSeconds: cpuSeconds === undefined ? undefined : Math.round(cpuSeconds * 100) / 100 };
}

/** Server CPU milliseconds per unit of work, '?' where the CPU time is unknown (not Linux). */
function perUnit(cpuSeconds: number | undefined, units: number): number | string {
  return msPerUnit(cpuSeconds, units) ?? '?';
}

/** The CRUD mix at c16 against the `express-crud` baseline: the ceiling its write transactions allow on this machine. */
async function crudBaseline(seconds: number): Promise<LoadResult & { cpuSeconds?: number }> {
  const server = await startBaseline('express-crud');
  try {
    // Warm, as the FHIR server is after ingest.
    await benchCrud({ baseUrl: `${server.url}/fhir`, patientId: 'baseline', connections: [16], seconds: 1 });
    const { value, cpuSeconds } = await cpuDuring(server.pid, () => benchCrud({ baseUrl: `${server.url}/fhir`, patientId: 'baseline', connections: [16], seconds }));
    const { c16 } = value;
    if (c16.non2xx || c16.errors) throw new Error(`the CRUD baseline answered ${c16.non2xx} non-2xx responses and ${c16.errors} errors`);
    return { ...c16, cpuSeconds };
  } finally {
    await server.stop();
  }
}

/**
 * Store commands per request of the CRUD mix, on a server of its own with the driver's command monitoring on (which
 * costs CPU, so not the measured server), one request at a time: the commands each request sends, which the load's
 * figures cannot show.
 */
async function crudCommandRows(work: string, results: Record<string, unknown>, rows: Row[]): Promise<void> {
  log('crud: store commands per request (a server of its own, command monitoring on)');
  const metricsPort = await freePort();
  const server = await startChildServer({
    dataDir: path.join(work, 'data-commands'),
    env: { METRICS_STORE_COMMANDS: 'true', METRICS_PORT: String(metricsPort) },
  });
  try {
    const patientId = await createPatient(server.baseUrl);
    const counts = await countCrudCommands({ baseUrl: server.baseUrl, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`, patientId, cycles: 5 });
    results.crudCommands = counts;
    const all = Object.values(counts);
    const mean = all.reduce((n, c) => n + c.perRequest, 0) / all.length;
    rows.push({ phase: 'crud', metric: 'store commands per request (mean of the mix)', value: Number(mean.toFixed(2)) });
    for (const [key, c] of Object.entries(counts)) rows.push({ phase: 'crud', metric: `store commands per request, ${key}`, value: c.perRequest });
  } finally {
    await server.stop();
  }
}

async function createPatient(baseUrl: string): Promise<string> {
  const res = await fetch(`${baseUrl}/Patient`, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' },
    body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Benchmark', given: ['Read'] }], gender: 'male', birthDate: '1970-01-01' }),
  });
  const body = (await res.json()) as { id?: string };
  if (res.status !== 201 || !body.id) throw new Error(`creating the bench patient answered ${res.status}`);
  return body.id;
}

/** Ingest, CRUD and read on one server over a fresh store (profiled with --cpu-prof). */
async function hotPath(o: Options, work: string, results: Record<string, unknown>, rows: Row[]): Promise<void> {
  const profDir = path.join(o.out, 'profiles');
  const server = await startChildServer({ dataDir: path.join(work, 'data-fresh'), cpuProfDir: o.cpuProf ? profDir : undefined });
  log(`server ready in ${Math.round(server.startMs)} ms at ${server.baseUrl}`);
  const windows: Record<string, TimeWindow> = {};
  try {
    if (o.phases.has('ingest')) {
      const set = syntheaBundles();
      log(`ingest: ${set.patients.length + set.shared.length} ${set.source} bundles, ${set.resources} resources`);
      const sustainedRounds = o.quick ? 3 : 10;
      const { value, serverCpuSeconds, window } = await withCpu(server, () =>
        benchIngest({ baseUrl: server.baseUrl, serverPid: server.pid, set, concurrency: 2, sustainedRounds }),
      );
      windows.ingest = window;
      results.ingest = { source: set.source, ...value, serverCpuSeconds };
      const { transaction: first, sustained, batch } = value;
      rows.push({ phase: 'ingest', metric: 'transaction resources/s, first load (cold)', value: first.resourcesPerSecond });
      rows.push(goalRow('ingest', `transaction resources/s, sustained (${sustained.resources})`, sustained.resourcesPerSecond, { atLeast: 2000 }));
      rows.push({ phase: 'ingest', metric: 'transaction bundle p50 / p99 ms, sustained', value: `${sustained.bundleP50Ms} / ${sustained.bundleP99Ms}` });
      rows.push({ phase: 'ingest', metric: 'batch (PUT) resources/s', value: batch.resourcesPerSecond });
      const cpu = [first, sustained, batch].map((r) => r.serverCpuMsPerResource ?? '?').join(' / ');
      rows.push({ phase: 'ingest', metric: 'server CPU ms/resource: first / sust. / batch', value: cpu });
      const failed = first.failedBundles + sustained.failedBundles + batch.failedBundles;
      rows.push({ phase: 'ingest', metric: 'failed bundles', value: failed, goal: '0', met: failed === 0 });
    }
    const patientId = await createPatient(server.baseUrl);
    if (o.phases.has('crud')) {
      log(`crud: c16 and c64, ${o.duration} s each`);
      const { value, serverCpuSeconds, window } = await withCpu(server, () =>
        benchCrud({ baseUrl: server.baseUrl, patientId, connections: [16, 64], seconds: o.duration }),
      );
      windows.crud = window;
      results.crud = { ...value, serverCpuSeconds };
      rows.push({
        phase: 'crud',
        metric: 'server CPU ms per request (c16 + c64)',
        value: perUnit(
          serverCpuSeconds,
          Object.values(value).reduce((n, r) => n + r.requests, 0),
        ),
      });
      for (const [c, r] of Object.entries(value)) {
        // Issue 25's targets are for c16; c64 shows how the server holds up past them.
        if (c === 'c16') {
          rows.push(goalRow('crud', `${c} requests/s`, r.requestsPerSecond, { atLeast: 1200 }));
          rows.push(goalRow('crud', `${c} p99 ms`, r.p99Ms, { atMost: 50 }));
        } else {
          rows.push({ phase: 'crud', metric: `${c} requests/s`, value: r.requestsPerSecond });
          rows.push({ phase: 'crud', metric: `${c} p99 ms`, value: r.p99Ms });
        }
        rows.push({ phase: 'crud', metric: `${c} p50 ms / non-2xx / errors`, value: `${r.p50Ms} / ${r.non2xx} / ${r.errors}` });
      }
      await waitIdle(server.pid);
      await crudCommandRows(work, results, rows);
      log(`crud: the write transactions alone (Express 5 + driver, no FHIR work), c16, ${o.duration} s`);
      const ceiling = await crudBaseline(o.duration);
      results.crud = { ...(results.crud as object), storageBaseline: ceiling };
      rows.push({ phase: 'crud', metric: 'write transactions alone c16 req/s (p99 ms)', value: `${ceiling.requestsPerSecond} (${ceiling.p99Ms})` });
      rows.push({ phase: 'crud', metric: 'write transactions alone CPU ms per request', value: perUnit(ceiling.cpuSeconds, ceiling.requests) });
      const c16 = value.c16?.requestsPerSecond;
      if (c16 !== undefined && ceiling.requestsPerSecond > 0) {
        const share = Number(((100 * c16) / ceiling.requestsPerSecond).toFixed(1));
        rows.push(goalRow('crud', 'c16 % of the write transactions alone', share, { atLeast: 80 }));
      }
    }
    if (o.phases.has('read')) {
      log(`read: GET Patient/[id] vs bare node:http, Express 5, Express 5 + driver; c16, ${o.duration} s each`);
      const { value: r, window } = await withCpu(server, () =>
        benchReadRatio({ baseUrl: server.baseUrl, serverPid: server.pid, path: `Patient/${patientId}`, connections: 16, seconds: o.duration }),
      );
      // The window covers the baselines' runs too, when the FHIR server idles: its share adds nothing.
      windows.read = window;
      results.read = r;
      rows.push(goalRow('read', 'FHIR read by id, audited, c16 requests/s', r.fhir.requestsPerSecond, { atLeast: 4000 }));
      rows.push({ phase: 'read', metric: 'FHIR read p50 / p99 ms', value: `${r.fhir.p50Ms} / ${r.fhir.p99Ms}` });
      const b = r.baselines;
      const share = (n: number) => `${n} (${percentOf(n, b.node.requestsPerSecond)}%)`;
      rows.push({ phase: 'read', metric: 'bare node:http requests/s', value: b.node.requestsPerSecond });
      rows.push({ phase: 'read', metric: 'Express 5 alone, req/s (% of node:http)', value: share(b.express.requestsPerSecond) });
      rows.push({ phase: 'read', metric: 'Express 5 + driver findOne, req/s (%)', value: share(b['express-find'].requestsPerSecond) });
      // Against what the chosen framework and driver allow (issue 25); node:http stays as the physical limit.
      rows.push(goalRow('read', '% of Express 5 + driver findOne', percentOf(r.fhir.requestsPerSecond, b['express-find'].requestsPerSecond), { atLeast: 80 }));
      rows.push({ phase: 'read', metric: '% of bare node:http', value: r.ratioPercent });
      rows.push({ phase: 'read', metric: 'server CPU ms per read', value: r.fhir.cpuMsPerRequest ?? '?' });
      const cpu = BASELINES.map((k) => b[k].cpuMsPerRequest ?? '?').join(' / ');
      rows.push({ phase: 'read', metric: 'CPU ms per read: node / Express / +findOne', value: cpu });
    }
  } finally {
    const profiles = (await server.stop()) ?? [];
    // The server's main thread, then (EMBEDDED_THREAD=worker) the embedded engine's thread.
    const threads = profiles.map((file, i) => ({ file, name: i === 0 ? 'server' : i === 1 ? 'engine thread' : `thread ${i}` }));
    if (threads.length) {
      results.profile = Object.fromEntries(
        threads.map(({ file, name }) => [
          name,
          { file, ...Object.fromEntries(Object.entries(windows).map(([phase, w]) => [phase, summariseProfile(file, PROJECT_ROOT, 25, w)])) },
        ]),
      );
      log(`CPU profiles: ${profiles.join(', ')}`);
      const read = results.read as ReadRatioResult | undefined;
      if (windows.read && read?.fhir.cpuMsPerRequest !== undefined) {
        const layers = threads.map(({ file, name }) => ({ thread: name, layers: splitByLayer(readProfile(file), windows.read) }));
        for (const { layer, ms } of cpuMsByLayer(layers, read.fhir.cpuMsPerRequest).filter((l) => l.ms >= 0.005)) {
          rows.push({ phase: 'read', metric: `CPU ms per read, ${layer}`, value: ms });
        }
      }
    }
  }
}

async function searchPhase(o: Options, work: string, results: Record<string, unknown>, rows: Row[]): Promise<void> {
  log(`search: building a store of ${o.searchResources} resources`);
  const dataDir = path.join(work, 'search', 'data');
  const built = await buildStoreInChild(dataDir, o.searchResources, 8192);
  const server = await startChildServer({ dataDir, maxOldSpaceMb: 8192 });
  try {
    const http = await benchHttpSearch(server.baseUrl, built.samples, o.quick ? 50 : 200);
    results.search = { resources: built.resources, buildSeconds: Math.round(built.seconds), types: built.types, http };
    for (const [q, t] of Object.entries(http)) {
      rows.push(goalRow('search', `${q} p50 ms`, t.p50Ms, { atMost: 15 }));
      rows.push({ phase: 'search', metric: `${q} p99 ms / mean total`, value: `${t.p99Ms} / ${t.meanTotal}` });
    }
  } finally {
    await server.stop();
  }
  log('search: bench/search.ts (search layer without HTTP)');
  (results.search as Record<string, unknown>).library = await runExternalBench('search', 'benchSearch', [o.searchResources, o.quick ? 50 : 200]);
}

/** A system export of cloned Synthea patients (39k resources; 10k with --quick), GridFS and a folder, gzip and not. */
async function exportPhase(o: Options, results: Record<string, unknown>, rows: Row[]): Promise<void> {
  const resources = o.quick ? 10_000 : 39_000;
  log(`export: system $export of ${resources} resources (bench/export.ts): files in GridFS and in a folder, downloaded with gzip and without`);
  const r = await benchExport({ resources, cpuProfDir: o.cpuProf ? path.join(o.out, 'profiles') : undefined });
  results.export = r;
  for (const run of r.runs) {
    const tag = `${run.storage}, ${run.encoding}, export ${run.round}`;
    rows.push(goalRow('export', `resources/s to all files downloaded (${tag})`, run.resourcesPerSecond, { atLeast: 40_000 }));
    rows.push({ phase: 'export', metric: `seconds to manifest / to all downloaded (${tag})`, value: `${run.secondsToManifest} / ${run.secondsToAllDownloaded}` });
    rows.push(
      goalRow('export', `server RssAnon growth MB (${tag}; idle ${run.rssAnonIdleMB}, after ${run.rssAnonAfterDeleteMB})`, run.rssAnonGrowthMB ?? Number.NaN, {
        atMost: 300,
      }),
    );
  }
}

/**
 * $import beside the transaction ingest of the same files on one server (bench/import.ts): Synthea US Core NDJSON
 * cloned, 3 copies as transactions and imports of 3 and 10 copies (1; 1 and 3 with --quick).
 */
async function importPhase(o: Options, work: string, results: Record<string, unknown>, rows: Row[]): Promise<void> {
  const [transactionCopies, importCopies] = o.quick ? [1, [1, 3]] : [3, [3, 10]];
  log(`import: $import of ${importCopies.join(' and ')} copies of the Synthea US Core NDJSON beside ${transactionCopies} sent as transaction bundles (bench/import.ts)`);
  const r = await benchImport({ workDir: work, transactionCopies, importCopies, cpuProfDir: o.cpuProf ? path.join(o.out, 'profiles') : undefined });
  if ('skipped' in r) {
    log(`import: skipped, ${r.skipped}`);
    results.import = r;
    rows.push({ phase: 'import', metric: 'skipped', value: r.skipped });
    return;
  }
  const { profile, ...rest } = r;
  results.import = rest;
  const t = r.transaction;
  rows.push({ phase: 'import', metric: `transaction ingest resources/s (${t.stored}; bundles of 250 PUTs, 2 in flight)`, value: t.resourcesPerSecond });
  for (const run of r.imports) {
    rows.push({ phase: 'import', metric: `$import resources/s (${run.stored} in ${run.files} files)`, value: run.resourcesPerSecond });
    rows.push({
      phase: 'import',
      metric: `server RssAnon MB before / peak / after (${run.stored})`,
      value: `${run.rssAnonBeforeMB ?? '?'} / ${run.rssAnonPeakMB ?? '?'} / ${run.rssAnonAfterMB ?? '?'}`,
    });
  }
  rows.push({
    phase: 'import',
    metric: 'server CPU ms/resource: transaction / imports',
    value: [t, ...r.imports].map((x) => x.serverCpuMsPerResource ?? '?').join(' / '),
  });
  rows.push(goalRow('import', '$import / transaction ingest (largest import)', r.ratio, { atLeast: 1.5 }));
  const failed = t.failures + r.imports.reduce((n, x) => n + x.failedLines, 0);
  rows.push({ phase: 'import', metric: 'failed lines / entries', value: failed, goal: '0', met: failed === 0 });
  for (const [name, p] of Object.entries(profile ?? {})) printProfile(name, 'import bench', p);
}

/** Certified destruction of 10,000 eligible records (1,000 with --quick): resources destroyed per second, bench/destruction.ts. */
async function destructionPhase(o: Options, results: Record<string, unknown>, rows: Row[]): Promise<void> {
  const records = o.quick ? 1_000 : 10_000;
  log(`destruction: review and destruction of ${records} eligible records of 6 resources each (bench/destruction.ts)`);
  const r = await benchDestruction({ records });
  results.destruction = r;
  rows.push({
    phase: 'destruction',
    metric: `resources destroyed per second (${r.resourcesDestroyed} in ${r.destructionSeconds} s, certificate and compaction included)`,
    value: r.resourcesPerSecond,
  });
  rows.push({ phase: 'destruction', metric: `review of ${r.records} eligible records among ${r.storeResources} resources, seconds`, value: r.reviewSeconds });
}

/** Patient/$everything page cost for a patient of ~10 resources and one of 100k (20k with --quick), bench/everything.ts. */
async function everythingPhase(o: Options, results: Record<string, unknown>, rows: Row[]): Promise<void> {
  const resources = o.quick ? 20_000 : 100_000;
  log(`everything: Patient/$everything pages for a patient of 9 resources and one of ${resources} (bench/everything.ts)`);
  const r = await benchEverything({ resources, repeats: o.quick ? 10 : 30 });
  results.everything = r;
  for (const p of r.pages) {
    const who = p.patient === 'small' ? `${r.smallResources} resources` : `${r.largeResources} resources, at ${p.position}`;
    rows.push({
      phase: 'everything',
      metric: `page of ${r.count} p50 / p95 ms, server CPU ms (${who})`,
      value: `${p.p50Ms} / ${p.p95Ms}, ${p.serverCpuMsPerPage ?? '?'}`,
    });
  }
  rows.push({
    phase: 'everything',
    metric: `next links followed p50 / p95 ms, server CPU ms`,
    value: `${r.walk.p50Ms} / ${r.walk.p95Ms}, ${r.walk.serverCpuMsPerPage ?? '?'}`,
  });
  rows.push({
    phase: 'everything',
    metric: `search page of ${r.count} for comparison p50 / p95 ms, CPU ms`,
    value: `${r.search.p50Ms} / ${r.search.p95Ms}, ${r.search.serverCpuMsPerPage ?? '?'}`,
  });
}

/** Patient/$find-duplicates over ~100,800 generated Patients (~11,200 with --quick) and $match latency, bench/matching.ts. */
async function matchingPhase(o: Options, results: Record<string, unknown>, rows: Row[]): Promise<void> {
  const people = o.quick ? 10_000 : 90_000;
  log(`matching: Patient/$find-duplicates over the Patients of ${people} generated people, and $match (bench/matching.ts)`);
  const r = await benchMatching({ people, matches: o.quick ? 50 : 200 });
  results.matching = r;
  rows.push(
    goalRow('matching', `$find-duplicates seconds to manifest (${r.patients} Patients; server CPU ${r.serverCpuSeconds ?? '?'} s)`, r.findDuplicatesSeconds, {
      atMost: 600,
    }),
  );
  rows.push({ phase: 'matching', metric: `pairs written / true pairs in the population`, value: `${r.pairsWritten} / ${r.truePairs}` });
  for (const [grade, g] of Object.entries(r.grades)) {
    rows.push({ phase: 'matching', metric: `${grade}: pairs, precision, recall at or above`, value: `${g.pairs}, ${g.precision}, ${g.recallAtOrAbove}` });
  }
  rows.push({ phase: 'matching', metric: '$match p50 / p99 ms', value: `${r.matchP50Ms} / ${r.matchP99Ms}` });
}

/** $completeness-audit of 100,000 encounters (12,000 with --quick): the Synthea US Core sample's charts, bench/completeness.ts. */
async function completenessPhase(o: Options, results: Record<string, unknown>, rows: Row[]): Promise<void> {
  const encounters = o.quick ? 12_000 : 100_000;
  log(`completeness: $completeness-audit of ${encounters} encounters (bench/completeness.ts)`);
  const r = await benchCompleteness({ encounters, cpuProfDir: o.cpuProf ? path.join(o.out, 'profiles') : undefined });
  results.completeness = r;
  for (const [name, run] of [
    ['first audit, Tasks created', r.first],
    ['second audit, nothing to write', r.second],
  ] as const) {
    rows.push(goalRow('completeness', `seconds to manifest, ${r.encounters} encounters (${name})`, run.secondsToManifest, { atMost: 600 }));
    rows.push({ phase: 'completeness', metric: `server CPU s / encounters per s (${name})`, value: `${run.serverCpuSeconds ?? '?'} / ${run.encountersPerSecond}` });
  }
  rows.push({ phase: 'completeness', metric: `$completeness-summary of ${r.openDeficiencies} open Tasks, s`, value: r.summarySeconds });
  rows.push({ phase: 'completeness', metric: 'Encounter/[id]/$completeness ms (mean of 50)', value: r.encounterCompletenessMs });
}

/** Numeric leaves of another bench's result as table rows (its JSON keeps everything). */
function leafRows(phase: string, value: unknown, prefix = ''): Row[] {
  if (typeof value === 'number') return [{ phase, metric: prefix, value }];
  if (typeof value === 'string' && /^(skipped|failed)$/.test(prefix)) return [{ phase, metric: prefix, value }];
  if (!value || typeof value !== 'object') return [];
  // Rows of a list are named by their size where they have one (`resources`).
  const label = (k: string, v: unknown) => {
    const size = Array.isArray(value) && v && typeof v === 'object' ? (v as { resources?: unknown }).resources : undefined;
    return typeof size === 'number' ? `${size} resources` : k;
  };
  return Object.entries(value).flatMap(([k, v]) => leafRows(phase, v, prefix ? `${prefix}.${label(k, v)}` : label(k, v)));
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  // Read before the run: a wrong file fails now, not after an hour of measuring.
  const saved = o.compare ? savedRun(o.compare) : undefined;
  const work = mkdtempSync(path.join(os.tmpdir(), 'fhirstone-bench-run-'));
  const results: Record<string, unknown> = {};
  const rows: Row[] = [];
  const started = Date.now();
  const m = machine();
  try {
    if (o.phases.has('ingest') || o.phases.has('crud') || o.phases.has('read')) await hotPath(o, work, results, rows);
    if (o.phases.has('search')) await searchPhase(o, work, results, rows);
    if (o.phases.has('export')) await exportPhase(o, results, rows);
    if (o.phases.has('import')) await importPhase(o, work, results, rows);
    if (o.phases.has('everything')) await everythingPhase(o, results, rows);
    if (o.phases.has('destruction')) await destructionPhase(o, results, rows);
    if (o.phases.has('matching')) await matchingPhase(o, results, rows);
    if (o.phases.has('completeness')) await completenessPhase(o, results, rows);
    if (o.phases.has('validation')) {
      log('validation: bench/validation.ts');
      results.validation = await runExternalBench('validation', 'benchValidation', [{ quick: o.quick }]);
      // The table keeps the per-resource timings and the start-up cost; the JSON has every figure.
      rows.push(...leafRows('validation', results.validation).filter((r) => /median|p95|mean_cpu|r4_definitions|load_profiles|skipped|failed/.test(r.metric)));
    }
    if (o.phases.has('engine')) {
      log('engine: bench/engine.ts');
      results.engine = await runExternalBench('engine', 'benchEngine', [{ quick: o.quick }]);
      rows.push(...leafRows('engine', results.engine));
    }
    if (o.phases.has('icd10cm')) {
      log('icd10cm: bench/icd10cm.ts');
      results.icd10cm = await runExternalBench('icd10cm', 'benchIcd10cm', [{ quick: o.quick }]);
      rows.push(...leafRows('icd10cm', results.icd10cm));
    }
    if (o.phases.has('binary')) {
      log('binary: bench/binary.ts (a 1 GB file uploaded and downloaded raw; 100 MB with --quick)');
      results.binary = await runExternalBench('binary', 'benchBinary', [{ quick: o.quick }]);
      rows.push(...leafRows('binary', results.binary));
    }
    if (o.phases.has('disclosures')) {
      log('disclosures: bench/disclosures.ts (the accounting of a patient with 100,000 audit events; 20,000 with --quick)');
      results.disclosures = await runExternalBench('disclosures', 'benchDisclosures', [{ quick: o.quick }]);
      const median = (results.disclosures as { accountingSystemToken?: { medianMs?: number } }).accountingSystemToken?.medianMs;
      if (median !== undefined) rows.push(goalRow('disclosures', 'accounting of disclosures, median ms', median, { atMost: 1000 }));
      rows.push(...leafRows('disclosures', results.disclosures).filter((r) => !/accountingSystemToken\.medianMs/.test(r.metric)));
    }
    if (o.phases.has('workers')) {
      log(`workers: the CRUD mix at c16 and c64 on one process, then on WORKERS=2; ${o.duration} s each`);
      const r = await benchWorkers({ workDir: work, seconds: o.duration });
      results.workers = r;
      for (const [layout, runs] of Object.entries(r.layouts)) {
        for (const [c, x] of Object.entries(runs)) {
          rows.push({
            phase: 'workers',
            metric: `${layout}: CRUD ${c} requests/s (p50 / p99 ms, non-2xx)`,
            value: `${x.requestsPerSecond} (${x.p50Ms} / ${x.p99Ms}, ${x.non2xx})`,
          });
        }
      }
    }
    if (o.phases.has('startup')) {
      log(`startup: ${o.startupResources} resources (the store fixture is built once and cached)`);
      const r = await benchStartup({ count: o.startupResources, workDir: work, maxOldSpaceMb: 16384 });
      results.startup = r;
      if (r.reducedFrom) log(`startup: reduced to ${r.resources} resources: ${r.reason}`);
      rows.push({
        phase: 'startup',
        metric: `start to first read ms (${r.resources} resources${r.reducedFrom ? ', reduced: memory' : ''})`,
        value: r.startToFirstReadMs,
      });
      rows.push({ phase: 'startup', metric: 'server peak RSS MB / store MB', value: `${r.peakRssMb ?? '?'} / ${r.storeMb}` });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const file = writeResults(o.out, {
    date: new Date().toISOString(),
    machine: m,
    ...gitCommit(),
    options: { ...o, phases: [...o.phases] },
    seconds: Math.round((Date.now() - started) / 1000),
    results,
    rows,
  });
  process.stdout.write(`\n${renderTable(rows)}\n\n`);
  if (saved) printComparison(rows, saved, o.compare as string);
  for (const [thread, profile] of Object.entries((results.profile ?? {}) as Record<string, Record<string, unknown>>)) {
    const { file: _file, ...phases } = profile as Record<string, ReturnType<typeof summariseProfile>>;
    for (const [phase, p] of Object.entries(phases)) printProfile(thread, phase, p);
  }
  process.stdout.write(`Load average at start ${(m.loadAverage as number[]).join(' ')} on ${m.cpus} CPUs. Results: ${path.relative(process.cwd(), file)}\n`);
}

/** This run beside a saved one; the saved run's phases this run left out are named, not listed row by row. */
function printComparison(rows: Row[], saved: { rows: Row[]; label: string }, file: string): void {
  const ran = new Set(rows.map((r) => r.phase));
  const compared = compareRows(rows, saved.rows).filter((r) => ran.has(r.phase));
  const notRun = [...new Set(saved.rows.map((r) => r.phase))].filter((p) => !ran.has(p));
  process.stdout.write(`Beside ${path.relative(process.cwd(), file)}:\n${renderComparison(compared, saved.label)}\n`);
  process.stdout.write(notRun.length ? `Phases in the saved run, not in this one: ${notRun.join(', ')}\n\n` : '\n');
}

function printProfile(thread: string, phase: string, p: ReturnType<typeof summariseProfile>): void {
  process.stdout.write(`CPU profile of the ${thread} during ${phase} (${p.totalMs} ms busy), self time:\n`);
  for (const f of p.functions.slice(0, 12)) process.stdout.write(`  ${f.selfPercent.toFixed(1).padStart(5)}%  ${f.name}\n`);
  process.stdout.write(
    `  by file: ${p.files
      .slice(0, 8)
      .map((f) => `${f.name} ${f.selfPercent}%`)
      .join(', ')}\n`,
  );
  process.stdout.write(
    `  inclusive: ${p.inclusive
      .slice(0, 10)
      .map((f) => `${f.name} ${f.selfPercent}%`)
      .join(', ')}\n\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
