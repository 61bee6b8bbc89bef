/**
 * Bulk export bench: resources/s and the process's peak RSS for exports of 10k and 100k resources, against an
 * in-process server on the embedded engine (as `npm start` runs it), files in GridFS.
 *
 * Run alone:  npm run build && node --expose-gc dist/bench/export.js [--quick]
 * With a base URL (`benchExport('http://host/fhir')`) the data is loaded through transaction Bundles and only the
 * rate is reported: the memory figure is of this process, which then is not the server.
 */
import type { Resource } from 'fhir/r4';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { bulkConfigFromEnv, bulkExportServices } from '../src/bulk';
import { loadConfig } from '../src/config';
import { startServer, type RunningServer, type Services } from '../src/server';
import { withServerMeta } from '../src/store/resource-text';
import { historyCollectionName } from '../src/store/stored-document';
import { SEARCH_INDEX_FORMAT } from '../src/search';

type Row = Record<string, number | string | null>;

const subjectOf = (r: Resource): string => (r as unknown as { subject: { reference: string } }).subject.reference;

/** An Observation of typical size (about 700 bytes of JSON): vital sign with code, subject, value, effective. */
function observation(i: number): Resource {
  return {
    resourceType: 'Observation',
    id: `o${String(i).padStart(7, '0')}`,
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }], text: 'Heart rate' },
    subject: { reference: `Patient/p${i % 1000}` },
    effectiveDateTime: new Date(Date.UTC(2023, 0, 1) + i * 60_000).toISOString(),
    valueQuantity: { value: 60 + (i % 40), unit: 'beats/minute', system: 'http://unitsofmeasure.org', code: '/min' },
  } as Resource;
}

async function startBenchServer(maxLines: number, dir?: string): Promise<RunningServer> {
  const env: Record<string, string> = { BULK_EXPORT_POLL: '50ms', BULK_EXPORT_MAX_LINES: String(maxLines) };
  if (dir) env.BULK_EXPORT_DIR = dir;
  // No authenticate: every request has full access, files download without a token.
  const bulk = bulkExportServices(bulkConfigFromEnv(env), { requiresAccessToken: () => false });
  const services: Services = {
    // Export reads `r` and `c` only: the bench loads without search entries so that loading is not what is timed.
    index: (r) => ({ s: [], c: r.resourceType === 'Observation' ? [subjectOf(r)] : [] }),
    searchIndexSpecs: () => [],
    indexFormat: SEARCH_INDEX_FORMAT,
    search: { executeSearch: async () => { throw new Error('no search in the export bench'); }, findMatchingIds: async () => [] },
    validation: { assertValid: async () => [] },
    capabilities: { searchParams: () => [], supportedProfiles: () => [] },
    operations: bulk.operations,
    routes: bulk.routes,
    start: bulk.start,
    stop: bulk.stop,
  };
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', MONGODB_URI: process.env.MONGODB_URI ?? '', MONGODB_DB: `bench_export_${Date.now()}` });
  return startServer(config, services, { inMemory: true, logger: pino({ level: 'silent' }) });
}

async function seedDirect(server: RunningServer, from: number, to: number): Promise<void> {
  await server.store.ensureType('Observation');
  const at = new Date(Date.UTC(2024, 0, 1));
  for (let i = from; i < to; i += 1000) {
    const docs = [];
    for (let j = i; j < Math.min(i + 1000, to); j++) {
      const r = withServerMeta(observation(j), `o${String(j).padStart(7, '0')}`, 1, at);
      docs.push({ _id: r.id as string, vid: 1, lu: at, del: false, r: JSON.stringify(r), s: [], c: [subjectOf(r)] });
    }
    await server.store.db.collection('Observation').insertMany(docs as never[]);
    await server.store.db.collection(historyCollectionName('Observation')).insertMany(
      docs.map((d) => ({ _id: `${d._id}/1`, id: d._id, vid: 1, lu: at, del: false, op: 'create', r: d.r, c: d.c })) as never[],
    );
  }
}

async function seedHttp(baseUrl: string, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i += 500) {
    const entry = [];
    for (let j = i; j < Math.min(i + 500, to); j++) {
      const r = observation(j);
      entry.push({ resource: r, request: { method: 'PUT', url: `Observation/${r.id}` } });
    }
    const res = await fetch(baseUrl, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: 'Bundle', type: 'batch', entry }) });
    if (!res.ok) throw new Error(`loading failed: ${res.status} ${await res.text()}`);
  }
}

/** Kick-off, poll, then read every file: the rate counts the whole export as a client sees it. */
async function exportAll(baseUrl: string): Promise<{ ms: number; resources: number; files: number }> {
  const t0 = performance.now();
  const kick = await fetch(`${baseUrl}/$export?_type=Observation`, { headers: { prefer: 'respond-async', accept: 'application/fhir+json' } });
  if (kick.status !== 202) throw new Error(`kick-off failed: ${kick.status} ${await kick.text()}`);
  const status = kick.headers.get('content-location') as string;
  let manifest: { output: Array<{ url: string; count: number }> };
  for (;;) {
    const res = await fetch(status);
    if (res.status === 200) {
      manifest = (await res.json()) as typeof manifest;
      break;
    }
    if (res.status !== 202) throw new Error(`export failed: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, 50));
  }
  const generated = performance.now() - t0;
  let lines = 0;
  for (const f of manifest.output) {
    // Streamed and counted chunk by chunk, so the client side adds no memory that grows with the file.
    const reader = ((await fetch(f.url)).body as ReadableStream<Uint8Array>).getReader();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      for (let at = chunk.value.indexOf(10); at >= 0; at = chunk.value.indexOf(10, at + 1)) lines++;
    }
  }
  await fetch(status, { method: 'DELETE' });
  return { ms: generated, resources: lines, files: manifest.output.length };
}

/**
 * `storage: 'gridfs'` keeps the files in the (here in-memory) engine, so RSS also grows by the files themselves;
 * `'dir'` writes them to a temporary directory and shows the export pipeline's own memory.
 */
export async function benchExport(baseUrl?: string, sizes: number[] = [10_000, 100_000], storage: 'gridfs' | 'dir' = 'dir'): Promise<Row[]> {
  const dir = storage === 'dir' && !baseUrl ? await mkdtemp(path.join(os.tmpdir(), 'bench-export-')) : undefined;
  const server = baseUrl ? undefined : await startBenchServer(20_000, dir);
  const base = baseUrl ?? (server as RunningServer).baseUrl;
  const rows: Row[] = [];
  let loaded = 0;
  try {
    for (const size of sizes) {
      if (server) await seedDirect(server, loaded, size);
      else await seedHttp(base, loaded, size);
      loaded = size;
      // RSS includes garbage not yet collected; with --expose-gc a forced collection once a second also gives the
      // live heap, which is what must not grow with the export size.
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      const before = process.memoryUsage().rss;
      const heapBefore = process.memoryUsage().heapUsed;
      let peak = before;
      let livePeak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
      const liveSampler = gc
        ? setInterval(() => {
            gc();
            livePeak = Math.max(livePeak, process.memoryUsage().heapUsed - heapBefore);
          }, 1000)
        : undefined;
      const { ms, resources, files } = await exportAll(base);
      clearInterval(sampler);
      clearInterval(liveSampler);
      rows.push({
        storage: baseUrl ? 'remote' : storage,
        resources,
        files,
        seconds: Math.round(ms) / 1000,
        resourcesPerSecond: Math.round((resources / ms) * 1000),
        rssBeforeMB: server ? Math.round(before / 2 ** 20) : null,
        peakRssMB: server ? Math.round(peak / 2 ** 20) : null,
        peakGrowthMB: server ? Math.round((peak - before) / 2 ** 20) : null,
        liveHeapGrowthMB: server && gc ? Math.round(livePeak / 2 ** 20) : null,
      });
    }
  } finally {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  }
  return rows;
}

if (require.main === module) {
  const quick = process.argv.includes('--quick');
  const sizes = quick ? [10_000] : [10_000, 100_000];
  (async () => [...(await benchExport(undefined, sizes, 'dir')), ...(await benchExport(undefined, sizes, 'gridfs'))])().then(
    (rows) => {
      console.table(rows);
      // Let a piped stdout drain before leaving.
      process.stdout.write('', () => process.exit(0));
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
