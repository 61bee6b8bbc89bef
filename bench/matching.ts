/**
 * Identity matching bench: `$find-duplicates` over 100,000 Patients (a generated population shaped like Synthea's:
 * bench/lib/patient-population.ts, with known duplicates and look-alikes), against the real server in its own
 * process (as `npm start` runs it), and `$match` latency on the same store. Reports the job's seconds from kick-off
 * to manifest, the server's CPU seconds over it, the pairs found, and precision and recall of the job's output at
 * each grade against the population's truth.
 *
 * The store is written straight through the driver (bench/lib/match-store.ts), as the repository would have
 * written it, keys included. The population is generated, not cloned from ../shared: cloning 20 Synthea patients
 * 5,000 times would make 5,000-record namesake blocks no real population has.
 *
 * Run alone:  npm run build && node dist/bench/matching.js [--people N] [--matches N]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Parameters, Patient } from 'fhir/r4';
import { buildMatchStore } from './lib/match-store';
import { generatePopulation, type Population } from './lib/patient-population';
import { cpuSeconds, startChildServer } from './lib/server-process';
import { percentile } from './lib/stats';

export interface MatchingBenchOptions {
  /** People before duplicates and look-alikes (default 90,000: about 100,800 Patients). */
  people?: number;
  /** $match requests timed (default 200). */
  matches?: number;
}

export interface GradeFigures {
  pairs: number;
  precision: number;
  /** Of every true pair in the population, those found at this grade or above. */
  recallAtOrAbove: number;
}

export interface MatchingBenchResult {
  patients: number;
  truePairs: number;
  buildSeconds: number;
  /** Kick-off to the complete manifest. */
  findDuplicatesSeconds: number;
  serverCpuSeconds?: number;
  pairsWritten: number;
  files: number;
  grades: Record<string, GradeFigures>;
  matchP50Ms: number;
  matchP99Ms: number;
  loadAverage: number[];
}

const GRADES = ['certain', 'probable', 'possible', 'certainly-not'];

async function findDuplicates(baseUrl: string): Promise<{ seconds: number; lines: Parameters[]; files: number }> {
  const started = process.hrtime.bigint();
  const kick = await fetch(`${baseUrl}/Patient/$find-duplicates`, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' },
    body: JSON.stringify({ resourceType: 'Parameters', parameter: [] }),
  });
  if (kick.status !== 202) throw new Error(`$find-duplicates kick-off: ${kick.status} ${await kick.text()}`);
  const status = kick.headers.get('content-location') as string;
  let manifest: { output: Array<{ url: string }> };
  for (;;) {
    const res = await fetch(status, { headers: { accept: 'application/json' } });
    if (res.status === 200) {
      manifest = (await res.json()) as typeof manifest;
      break;
    }
    const text = await res.text();
    if (res.status !== 202) throw new Error(`$find-duplicates status: ${res.status} ${text}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const lines: Parameters[] = [];
  for (const f of manifest.output) {
    const text = await (await fetch(f.url)).text();
    for (const l of text.split('\n')) if (l) lines.push(JSON.parse(l) as Parameters);
  }
  return { seconds, lines, files: manifest.output.length };
}

function gradeFigures(population: Population, lines: Parameters[]): { truePairs: number; grades: Record<string, GradeFigures> } {
  const records = new Map<string, number>();
  for (const person of population.personOf.values()) records.set(person, (records.get(person) ?? 0) + 1);
  const truePairs = [...records.values()].reduce((n, k) => n + (k * (k - 1)) / 2, 0);
  const counts = new Map(GRADES.map((g) => [g, { true: 0, all: 0 }]));
  for (const line of lines) {
    const [a, b] = line.parameter!.slice(0, 2).map((p) => p.valueReference!.reference!.slice('Patient/'.length));
    const c = counts.get(line.parameter!.find((p) => p.name === 'grade')!.valueCode!)!;
    c.all++;
    if (population.personOf.get(a) === population.personOf.get(b)) c.true++;
  }
  let found = 0;
  const grades: Record<string, GradeFigures> = {};
  for (const g of GRADES) {
    const c = counts.get(g)!;
    found += c.true;
    grades[g] = { pairs: c.all, precision: c.all ? Number((c.true / c.all).toFixed(3)) : 1, recallAtOrAbove: Number((found / truePairs).toFixed(3)) };
  }
  return { truePairs, grades };
}

/** $match of duplicates' records (as a registration desk would send them), one at a time: milliseconds each. */
async function matchLatencies(baseUrl: string, population: Population, n: number): Promise<number[]> {
  const byId = new Map(population.patients.map((p) => [p.id as string, p]));
  const ms: number[] = [];
  for (const d of population.duplicates.slice(0, n)) {
    const { id: _id, ...resource } = byId.get(d.id) as Patient;
    const started = process.hrtime.bigint();
    const res = await fetch(`${baseUrl}/Patient/$match`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'resource', resource }] }),
    });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`$match: ${res.status}`);
    ms.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return ms;
}

export async function benchMatching(o: MatchingBenchOptions = {}): Promise<MatchingBenchResult> {
  const population = generatePopulation({ people: o.people ?? 90_000, seed: 7, duplicateRate: 0.1, lookAlikeRate: 0.02 });
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fhirstone-bench-matching-'));
  try {
    const built = await buildMatchStore(dataDir, population);
    const server = await startChildServer({ dataDir, timeoutMs: 600_000 });
    try {
      const cpuBefore = cpuSeconds(server.pid);
      const job = await findDuplicates(server.baseUrl);
      const cpuAfter = cpuSeconds(server.pid);
      const ms = await matchLatencies(server.baseUrl, population, o.matches ?? 200);
      const figures = gradeFigures(population, job.lines);
      return {
        patients: population.patients.length,
        truePairs: figures.truePairs,
        buildSeconds: Number(built.seconds.toFixed(1)),
        findDuplicatesSeconds: Number(job.seconds.toFixed(1)),
        serverCpuSeconds: cpuBefore !== undefined && cpuAfter !== undefined ? Number((cpuAfter - cpuBefore).toFixed(1)) : undefined,
        pairsWritten: job.lines.length,
        files: job.files,
        grades: figures.grades,
        matchP50Ms: Number(percentile(ms, 50).toFixed(1)),
        matchP99Ms: Number(percentile(ms, 99).toFixed(1)),
        loadAverage: os.loadavg().map((l) => Number(l.toFixed(1))),
      };
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const { values } = parseArgs({ options: { people: { type: 'string' }, matches: { type: 'string' } } });
  benchMatching({ people: values.people ? Number(values.people) : undefined, matches: values.matches ? Number(values.matches) : undefined }).then(
    (r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
