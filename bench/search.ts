/**
 * Search bench: loads the shared Synthea bundles (../shared/data/synthea-r4-bundles) into the embedded engine (or
 * MONGODB_URI), copied with fresh UUIDs up to the target size, indexed by the search layer, then times typical
 * queries end to end (parse + compile + execute, first page of 20 with the total) and reports p50/p99 and the
 * index each query used (from explain).
 *
 * Run alone:  npm run build && node dist/bench/search.js [resources=100000] [iterations=200]
 * Writes bench/results/search.json. Skipped (reported as such) when ../shared is absent.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Bundle, Resource } from 'fhir/r4';
import { MongoClient } from 'mongodb';
import { startEmbeddedMongo } from '@fhirstone/embedded-mongo';
import { SearchContext, buildSearchIndex, executeSearch, parseSearch, searchIndexSpecs } from '../src/search';
import { DbSearchStore } from './lib/db-search-store';
import type { IndexEntry, SearchIndexDoc, SearchStore } from '../src/search/types';
import type { StoredDocument } from '../src/store/stored-document';

const ROOT = path.resolve(__dirname, __dirname.includes(`${path.sep}dist${path.sep}`) ? '../..' : '..');
const SYNTHEA = process.env.BENCH_SYNTHEA_DIR ?? path.resolve(ROOT, '../shared/data/synthea-r4-bundles');
const BASE = 'http://bench/fhir';

interface Template {
  type: string;
  doc: StoredDocument;
}

/** Resources of a transaction bundle with `urn:uuid:` references turned into `Type/id`. */
function bundleResources(text: string): Resource[] {
  const bundle = JSON.parse(text) as Bundle;
  const refs = new Map<string, string>();
  for (const e of bundle.entry ?? []) {
    const r = e.resource!;
    r.id = e.fullUrl?.startsWith('urn:uuid:') ? e.fullUrl.slice(9) : r.id;
    if (e.fullUrl) refs.set(e.fullUrl, `${r.resourceType}/${r.id}`);
  }
  const json = JSON.stringify((bundle.entry ?? []).map((e) => e.resource)).replace(/"(urn:uuid:[0-9a-f-]{36})"/g, (m, u: string) =>
    refs.has(u) ? `"${refs.get(u)}"` : m,
  );
  return JSON.parse(json) as Resource[];
}

const UUID_HEAD = /[0-9a-f]{8}(?=-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/g;

/** A stored document for another patient: every UUID in ids, references, index values and compartments renamed. */
function copyOf(doc: StoredDocument, prefix: string): StoredDocument {
  const sub = (v: string) => v.replace(UUID_HEAD, prefix);
  const s = doc.s as SearchIndexDoc;
  const o: SearchIndexDoc['o'] = {};
  for (const [k, key] of Object.entries(s.o)) {
    o[k] = typeof key.a === 'string' && typeof key.d === 'string' ? { a: sub(key.a), d: sub(key.d) } : key;
  }
  return {
    ...doc,
    _id: sub(doc._id),
    r: sub(doc.r),
    c: doc.c?.map(sub),
    s: { e: s.e.map((e: IndexEntry) => (typeof e.v === 'string' ? { ...e, v: sub(e.v) } : e)), o },
  };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

function winningIndexes(explain: Record<string, unknown>): string[] {
  const out: string[] = [];
  const walk = (plan: unknown) => {
    if (!plan || typeof plan !== 'object') return;
    const p = plan as Record<string, unknown>;
    if (typeof p.stage === 'string') out.push(p.indexName ? `${p.stage}(${p.indexName as string})` : p.stage);
    walk(p.inputStage);
    if (Array.isArray(p.inputStages)) p.inputStages.forEach(walk);
  };
  walk((explain.queryPlanner as Record<string, unknown>)?.winningPlan);
  return out;
}

class RecordingStore extends DbSearchStore {
  last?: { type: string; filter: object; options: object };
  override find(...args: Parameters<DbSearchStore['find']>) {
    this.last = { type: args[0], filter: args[1], options: args[2] };
    return super.find(...args);
  }
}

async function load(search: SearchContext, store: DbSearchStore, target: number) {
  const files = fs.readdirSync(SYNTHEA).filter((f) => f.endsWith('.json'));
  // Hospital and practitioner bundles are shared by every patient copy; load them once.
  const shared = files.filter((f) => /^(hospital|practitioner)Information/.test(f));
  const patients = files.filter((f) => !shared.includes(f));
  const lu = new Date();
  const templates = (list: string[]) =>
    list
      .flatMap((f) => bundleResources(fs.readFileSync(path.join(SYNTHEA, f), 'utf8')))
      .map((resource): Template => {
        const r = { ...resource, meta: { versionId: '1', lastUpdated: lu.toISOString() } } as Resource;
        const { s, c } = buildSearchIndex(search, r);
        return { type: r.resourceType, doc: { _id: r.id!, vid: 1, lu, del: false, r: JSON.stringify(r), s, c } };
      });
  const t0 = performance.now();
  const sharedT = templates(shared);
  const patientT = templates(patients);
  const indexMsPerResource = (performance.now() - t0) / (sharedT.length + patientT.length);
  const types = new Set([...sharedT, ...patientT].map((t) => t.type));
  for (const type of types) {
    await store.db.collection(type).createIndexes([{ key: { lu: 1, _id: 1 }, name: 'lastUpdated' }, ...searchIndexSpecs(search, type)]);
  }
  const batches = new Map<string, StoredDocument[]>();
  const seen = new Set<string>();
  let written = 0;
  const flush = async (type: string) => {
    const docs = batches.get(type) ?? [];
    batches.set(type, []);
    if (docs.length) await store.db.collection<StoredDocument>(type).insertMany(docs, { ordered: false });
  };
  const add = async (t: Template, doc: StoredDocument) => {
    // Synthea repeats some shared resources (an Organization in several bundles): store each once.
    if (seen.has(`${t.type}/${doc._id}`)) return;
    seen.add(`${t.type}/${doc._id}`);
    if (!batches.has(t.type)) batches.set(t.type, []);
    batches.get(t.type)!.push(doc);
    written++;
    if (batches.get(t.type)!.length >= 1000) await flush(t.type);
  };
  const l0 = performance.now();
  for (const t of sharedT) await add(t, t.doc);
  for (let copy = 0; written < target; copy++) {
    const prefix = (0x10000000 + copy).toString(16);
    for (const t of patientT) {
      if (written >= target) break;
      await add(t, copy === 0 ? t.doc : copyOf(t.doc, prefix));
    }
  }
  for (const type of batches.keys()) await flush(type);
  return { written, indexMsPerResource, loadSeconds: (performance.now() - l0) / 1000, patientTemplates: patientT };
}

export async function benchSearch(target = 100_000, iterations = 200): Promise<Record<string, unknown>> {
  if (!fs.existsSync(SYNTHEA)) return { skipped: `no Synthea data at ${SYNTHEA}` };
  const engine = process.env.MONGODB_URI ? undefined : await startEmbeddedMongo({});
  const client = new MongoClient(process.env.MONGODB_URI ?? engine!.uri, { ignoreUndefined: true });
  await client.connect();
  const db = client.db(`bench_search_${Date.now()}`);
  const store = new RecordingStore(db);
  const search = new SearchContext({ baseUrl: BASE });
  try {
    const loaded = await load(search, store, target);
    const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)];
    const patients = await db
      .collection<StoredDocument>('Patient')
      .find({}, { projection: { _id: 1 } })
      .limit(5000)
      .toArray();
    const names = loaded.patientTemplates
      .filter((t) => t.type === 'Patient')
      .map((t) => (JSON.parse(t.doc.r) as { name?: Array<{ family?: string }> }).name?.[0]?.family ?? 'a');
    const conditionCodes = loaded.patientTemplates
      .filter((t) => t.type === 'Condition')
      .map((t) => (JSON.parse(t.doc.r) as { code?: { coding?: Array<{ system: string; code: string }> } }).code?.coding?.[0])
      .filter((c): c is { system: string; code: string } => !!c);
    const queries: Record<string, () => [string, string]> = {
      "patient's encounters": () => ['Encounter', `patient=Patient/${pick(patients)._id}&_sort=-date`],
      'active conditions by code': () => {
        const c = pick(conditionCodes);
        return ['Condition', `clinical-status=active&code=${encodeURIComponent(`${c.system}|${c.code}`)}`];
      },
      'encounters in a date range': () => {
        const y = 1990 + Math.floor(Math.random() * 30);
        const m = String(1 + Math.floor(Math.random() * 12)).padStart(2, '0');
        return ['Encounter', `date=ge${y}-${m}-01&date=lt${y}-${m}-15`];
      },
      'name prefix': () => ['Patient', `name=${encodeURIComponent(pick(names).slice(0, 3))}`],
      "patient's observations by code, newest first": () => ['Observation', `patient=Patient/${pick(patients)._id}&code=http://loinc.org|8302-2&_sort=-date`],
    };
    const results: Record<string, unknown> = {};
    for (const [name, make] of Object.entries(queries)) {
      const run = async (s: SearchStore) => {
        const [type, q] = make();
        const req = parseSearch(search, type, [...new URLSearchParams(`${q}&_count=20`)], { strict: true });
        return executeSearch(search, s, req, { baseUrl: BASE, defaultCount: 20, maxCount: 1000 });
      };
      for (let i = 0; i < 10; i++) await run(store);
      const samples: number[] = [];
      let hits = 0;
      for (let i = 0; i < iterations; i++) {
        const t = performance.now();
        const b = await run(store);
        samples.push(performance.now() - t);
        hits += b.total ?? 0;
      }
      samples.sort((a, b) => a - b);
      const last = store.last!;
      const plan = winningIndexes(await store.explain(last.type, last.filter, last.options));
      results[name] = { p50ms: +percentile(samples, 0.5).toFixed(2), p99ms: +percentile(samples, 0.99).toFixed(2), meanTotal: +(hits / iterations).toFixed(1), plan };
    }
    return {
      resources: loaded.written,
      loadSeconds: +loaded.loadSeconds.toFixed(1),
      indexOnWriteMsPerResource: +loaded.indexMsPerResource.toFixed(3),
      store: process.env.MONGODB_URI ? 'MONGODB_URI' : 'embedded',
      queries: results,
    };
  } finally {
    await db.dropDatabase().catch(() => undefined);
    await client.close();
    await engine?.stop();
  }
}

if (require.main === module) {
  const [resources, iterations] = process.argv.slice(2).map(Number);
  benchSearch(resources || undefined, iterations || undefined).then(
    (r) => {
      const out = path.join(ROOT, 'bench/results/search.json');
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, `${JSON.stringify(r, null, 2)}\n`);
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
