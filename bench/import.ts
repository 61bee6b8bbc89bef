/**
 * `$import` beside the transaction-bundle ingest of the same build, on one server, for the Synthea US Core NDJSON
 * (../shared/data/synthea-uscore-ndjson, 13 patients) cloned into more patients: phase `import` of `npm run bench`.
 * Reports resources/s of both, their ratio (issue 23: $import at least 1.5 times the transaction ingest), and the
 * server's anonymous memory (RssAnon) around imports of two sizes (it must stay flat in the file size).
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadRank, resolveInputs } from '../src/loader/inputs';
import { loadFiles, type LoadSummary } from '../src/loader/load';
import { rssAnonMb } from './export';
import { summariseProfile, type TimeWindow } from './lib/cpu-profile';
import { PROJECT_ROOT, cpuDuring, msPerUnit, startChildServer, waitIdle } from './lib/server-process';

export const SHARED_NDJSON = path.resolve(PROJECT_ROOT, '..', 'shared', 'data', 'synthea-uscore-ndjson');

/** Types every patient refers to (hospitals, practitioners): written once, never cloned. */
const SHARED_RANK = loadRank('Patient.ndjson');

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

interface Source {
  shared: Array<{ name: string; text: string }>;
  patients: Array<{ name: string; text: string }>;
  /** UUIDs of the shared resources (ids, identifiers): kept as they are in clones. */
  sharedIds: Set<string>;
  resourcesPerCopy: number;
}

function readSource(dir: string): Source {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.ndjson'))
    .map((name) => ({ name, text: readFileSync(path.join(dir, name), 'utf8') }));
  const shared = files.filter((f) => loadRank(f.name) < SHARED_RANK);
  const patients = files.filter((f) => loadRank(f.name) >= SHARED_RANK);
  const sharedIds = new Set(shared.flatMap((f) => f.text.match(UUID) ?? []));
  const resourcesPerCopy = patients.reduce((n, f) => n + f.text.split('\n').filter((l) => l.trim()).length, 0);
  return { shared, patients, sharedIds, resourcesPerCopy };
}

/**
 * Writes copies `from` to `to - 1` of the patients' files into `dir` (one file per type): every UUID of a patient's
 * resources (ids, identifiers, references) replaced consistently, so each copy is new patients with the same shape;
 * references to the shared resources, conditional ones (`Practitioner?identifier=...`) included, stay as they are.
 */
function writeCopies(src: Source, dir: string, from: number, to: number): number {
  mkdirSync(dir, { recursive: true });
  for (let copy = from; copy < to; copy++) {
    const prefix = (0x1a000000 + copy).toString(16).padStart(8, '0');
    for (const f of src.patients) {
      appendFileSync(
        path.join(dir, f.name),
        f.text.replace(UUID, (u) => (src.sharedIds.has(u) ? u : `${prefix}${u.slice(8)}`)),
      );
    }
  }
  return (to - from) * src.resourcesPerCopy;
}

export interface ImportRun {
  files: number;
  resources: number;
  stored: number;
  failedLines: number;
  firstFailure?: string;
  seconds: number;
  resourcesPerSecond: number;
  serverCpuMsPerResource?: number;
  rssAnonBeforeMB?: number;
  rssAnonPeakMB?: number;
  rssAnonAfterMB?: number;
}

export interface TransactionRun {
  resources: number;
  stored: number;
  failures: number;
  firstFailure?: string;
  seconds: number;
  resourcesPerSecond: number;
  serverCpuMsPerResource?: number;
}

export interface ImportBenchResult {
  resourcesPerCopy: number;
  transaction: TransactionRun;
  imports: ImportRun[];
  /** $import resources/s of the larger import over the transaction ingest's. */
  ratio: number;
  profile?: Record<string, ReturnType<typeof summariseProfile>>;
}

export interface ImportBenchOptions {
  workDir: string;
  /** Patient copies sent as transaction bundles (after one copy that warms the server up). */
  transactionCopies: number;
  /** Patient copies per import, one import per entry (two sizes: memory must not grow with the file). */
  importCopies: number[];
  cpuProfDir?: string;
  dir?: string;
}

const round = (n: number | undefined, digits = 0) => (n === undefined ? undefined : Math.round(n * 10 ** digits) / 10 ** digits);

interface Manifest {
  output: Array<{ url: string }>;
  error: Array<{ url: string }>;
}

async function lines(url: string): Promise<string[]> {
  const res = await fetch(url, { headers: { accept: 'application/fhir+ndjson' } });
  return (await res.text()).split('\n').filter((l) => l.trim());
}

const diagnostics = (line: string) => (JSON.parse(line) as { issue: Array<{ diagnostics?: string }> }).issue[0]?.diagnostics ?? line;

/** One `$import` of every file in `dir` (under the server's IMPORT_DIR), polled to its manifest. */
async function importFolder(baseUrl: string, pid: number, dir: string, resources: number): Promise<ImportRun> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.ndjson'));
  const body = {
    resourceType: 'Parameters',
    parameter: [
      { name: 'inputFormat', valueCode: 'application/fhir+ndjson' },
      ...files.map((f) => ({
        name: 'input',
        part: [
          { name: 'type', valueCode: f.split('.')[0] },
          { name: 'url', valueUri: `file://${path.join(dir, f)}` },
        ],
      })),
    ],
  };
  await waitIdle(pid);
  const before = rssAnonMb(pid);
  let peak = before ?? 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rssAnonMb(pid) ?? 0)), 50);
  const started = performance.now();
  try {
    const { value: manifest, cpuSeconds } = await cpuDuring(pid, async () => {
      const kick = await fetch(`${baseUrl}/$import`, {
        method: 'POST',
        headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json', prefer: 'respond-async' },
        body: JSON.stringify(body),
      });
      if (kick.status !== 202) throw new Error(`$import kick-off answered ${kick.status}: ${await kick.text()}`);
      const status = kick.headers.get('content-location') as string;
      for (;;) {
        const res = await fetch(status, { headers: { accept: 'application/json' } });
        if (res.status === 200) return (await res.json()) as Manifest;
        if (res.status !== 202) throw new Error(`$import failed: ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
        await new Promise((r) => setTimeout(r, 100));
      }
    });
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const summaries = (await Promise.all(manifest.output.map((o) => lines(o.url)))).flat().map(diagnostics);
    const stored = summaries.reduce((n, s) => n + Number(/: (\d+) \S+ resources imported/.exec(s)?.[1] ?? 0), 0);
    const errors = (await Promise.all(manifest.error.map((o) => lines(o.url)))).flat();
    await waitIdle(pid);
    return {
      files: files.length,
      resources,
      stored,
      failedLines: errors.length,
      firstFailure: errors.length ? diagnostics(errors[0]).slice(0, 300) : undefined,
      seconds: round(seconds, 1) as number,
      resourcesPerSecond: Math.round(stored / seconds),
      serverCpuMsPerResource: msPerUnit(cpuSeconds, stored),
      rssAnonBeforeMB: round(before),
      rssAnonPeakMB: round(peak),
      rssAnonAfterMB: round(rssAnonMb(pid)),
    };
  } finally {
    clearInterval(sampler);
  }
}

/** The loader's NDJSON path as `npm run load -- --ndjson-as transaction` sends it: bundles of 250 PUTs, 2 in flight. */
async function transactions(baseUrl: string, dir: string): Promise<LoadSummary> {
  return loadFiles({ baseUrl, inputs: await resolveInputs([dir]), ndjsonAs: 'transaction', batchSize: 250, concurrency: 2 });
}

/**
 * On one fresh server whose IMPORT_DIR holds the generated files: the shared files and one copy as transactions
 * (collections, indexes, JIT warm-up; not measured), then `transactionCopies` copies as transaction bundles, then
 * one `$import` per entry of `importCopies`, each of copies not stored yet.
 */
export async function benchImport(opts: ImportBenchOptions): Promise<ImportBenchResult | { skipped: string }> {
  const dir = opts.dir ?? process.env.BENCH_SYNTHEA_NDJSON_DIR ?? SHARED_NDJSON;
  if (!existsSync(dir)) return { skipped: `no Synthea US Core NDJSON at ${dir}` };
  const src = readSource(dir);
  const importDir = path.join(opts.workDir, 'import-files');
  const warm = path.join(importDir, 'warm');
  mkdirSync(warm, { recursive: true });
  for (const f of src.shared) appendFileSync(path.join(warm, f.name), f.text);
  let copy = 0;
  writeCopies(src, warm, copy, ++copy);
  const txDir = path.join(importDir, 'transaction');
  const txResources = writeCopies(src, txDir, copy, (copy += opts.transactionCopies));
  const importDirs = opts.importCopies.map((n, i) => {
    const d = path.join(importDir, `import-${i + 1}`);
    return { dir: d, resources: writeCopies(src, d, copy, (copy += n)) };
  });

  const server = await startChildServer({ dataDir: path.join(opts.workDir, 'import-data'), env: { IMPORT_DIR: importDir }, cpuProfDir: opts.cpuProfDir });
  const windows: Record<string, TimeWindow> = {};
  const timed = async <T>(name: string, fn: () => Promise<T>) => {
    const start = process.hrtime.bigint();
    const value = await fn();
    windows[name] = [start, process.hrtime.bigint()];
    return value;
  };
  let profiles: string[] | undefined;
  try {
    const warmed = await transactions(server.baseUrl, warm);
    if (warmed.failures.length) throw new Error(`warm-up load failed: ${warmed.failures[0].diagnostics}`);
    await waitIdle(server.pid);
    const { value: tx, cpuSeconds } = await cpuDuring(server.pid, () => timed('transaction', () => transactions(server.baseUrl, txDir)));
    const transaction: TransactionRun = {
      resources: txResources,
      stored: tx.resources,
      failures: tx.failures.length,
      firstFailure: tx.failures[0]?.diagnostics.slice(0, 300),
      seconds: round(tx.seconds, 1) as number,
      resourcesPerSecond: Math.round(tx.resourcesPerSecond),
      serverCpuMsPerResource: msPerUnit(cpuSeconds, tx.resources),
    };
    const imports: ImportRun[] = [];
    for (const [i, d] of importDirs.entries()) imports.push(await timed(`import ${i + 1}`, () => importFolder(server.baseUrl, server.pid, d.dir, d.resources)));
    profiles = await server.stop();
    const last = imports[imports.length - 1];
    const profile = profiles?.length
      ? Object.fromEntries(
          profiles
            .slice(0, 2)
            .flatMap((file, t) =>
              ['transaction', `import ${imports.length}`].map((w) => [
                `${t === 0 ? 'server' : 'engine thread'}, ${w}`,
                summariseProfile(file, PROJECT_ROOT, 25, windows[w]),
              ]),
            ),
        )
      : undefined;
    return {
      resourcesPerCopy: src.resourcesPerCopy,
      transaction,
      imports,
      ratio: Math.round((last.resourcesPerSecond / transaction.resourcesPerSecond) * 100) / 100,
      profile,
    };
  } finally {
    if (!profiles) await server.stop();
  }
}
