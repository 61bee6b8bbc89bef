import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildStoreInChild } from './lib/build-store';
import { PROJECT_ROOT, startChildServer } from './lib/server-process';

export interface StartupResult {
  resources: number;
  /** Set when the machine's free memory forced a smaller store than asked for. */
  reducedFrom?: number;
  reason?: string;
  /** Spawn of `node dist/src/main.js` to the first 200 of GET Patient/[id]. */
  startToFirstReadMs: number;
  peakRssMb?: number;
  storeMb: number;
  /** Seconds spent building the store fixture in this run (0 when reused from the cache). */
  buildSeconds: number;
  cached: boolean;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

function dirMb(dir: string): number {
  return Math.round(filesUnder(dir).reduce((n, f) => n + statSync(f).size, 0) / 2 ** 20);
}

/** The fixture stays valid while the engine's code and the search index layout are unchanged. */
function fixtureKey(count: number): string {
  const hash = createHash('sha256');
  for (const dir of ['packages/embedded-mongo/dist', 'dist/src/search', 'dist/src/store']) {
    for (const f of filesUnder(path.join(PROJECT_ROOT, dir))
      .filter((f) => f.endsWith('.js'))
      .sort())
      hash.update(readFileSync(f));
  }
  return `store-${count}-${hash.digest('hex').slice(0, 12)}`;
}

/**
 * Start-up time with `count` resources in the embedded store. Building a million-resource store takes many
 * minutes, so the fixture is cached under $TMPDIR/fhirstone-bench (keyed by the engine, search and store code)
 * and copied for each run, since a start writes to its data directory.
 */
/**
 * The embedded engine holds every document in memory: the server's peak RSS was 1,324 MB with 100k Synthea
 * resources (current version + history + indexes, plus a fixed ~250 MB), i.e. about 11 KB per resource since the
 * engine shares equal strings and dates between stored documents (17 KB before). The builder runs first, in its
 * own process, and needs no more than the server.
 */
const BYTES_PER_RESOURCE = 11 * 1024;
/** The share of free memory a store may take, leaving the rest for the machine's other work. */
const FREE_SHARE = 0.6;

/** The largest store the machine can hold without crowding out other work: 60% of the free memory. */
export function affordableCount(requested: number, freeBytes = os.freemem()): number {
  const fits = Math.floor((freeBytes * FREE_SHARE) / BYTES_PER_RESOURCE / 10_000) * 10_000;
  return Math.max(10_000, Math.min(requested, fits));
}

export async function benchStartup(opts: { count: number; workDir: string; maxOldSpaceMb: number }): Promise<StartupResult> {
  const count = affordableCount(opts.count);
  const reduced =
    count < opts.count
      ? {
          reducedFrom: opts.count,
          reason: `${opts.count} resources need about ${Math.round((opts.count * BYTES_PER_RESOURCE) / 2 ** 30)} GB of server memory; ${FREE_SHARE * 100}% of the ${Math.round(os.freemem() / 2 ** 30)} GB free holds ${count}`,
        }
      : {};
  const cacheRoot = path.join(os.tmpdir(), 'fhirstone-bench');
  const fixture = path.join(cacheRoot, fixtureKey(count));
  let buildSeconds = 0;
  const cached = existsSync(path.join(fixture, 'built.json'));
  if (!cached) {
    mkdirSync(cacheRoot, { recursive: true });
    const staging = mkdtempSync(path.join(cacheRoot, 'building-'));
    const built = await buildStoreInChild(path.join(staging, 'data'), count, opts.maxOldSpaceMb);
    buildSeconds = built.seconds;
    rmSync(fixture, { recursive: true, force: true });
    renameSync(staging, fixture);
  }
  const built = JSON.parse(readFileSync(path.join(fixture, 'built.json'), 'utf8')) as { samples: { patients: string[] }; resources: number };
  const dataDir = path.join(opts.workDir, 'startup-data');
  cpSync(path.join(fixture, 'data'), dataDir, { recursive: true });
  const patientId = built.samples.patients[0];
  const server = await startChildServer({
    dataDir,
    maxOldSpaceMb: opts.maxOldSpaceMb,
    timeoutMs: 30 * 60_000,
    ready: async (baseUrl) => {
      const res = await fetch(`${baseUrl}/Patient/${patientId}`, { headers: { accept: 'application/fhir+json' }, signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      return res.status === 200;
    },
  });
  const peakRssMb = server.peakRssMb();
  await server.stop();
  const storeMb = dirMb(dataDir);
  rmSync(dataDir, { recursive: true, force: true });
  return { resources: built.resources, ...reduced, startToFirstReadMs: Math.round(server.startMs), peakRssMb, storeMb, buildSeconds: Math.round(buildSeconds), cached };
}
