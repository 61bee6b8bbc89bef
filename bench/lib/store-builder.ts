import type { Resource } from 'fhir/r4';
import { startEmbeddedMongo } from '@fhirstone/embedded-mongo';
import { SEARCH_INDEX_FORMAT, SearchContext, searchIndexSpecs } from '../../src/search';
import { recordMatchKeys, serverIndexer } from './match-store';
import { withServerMeta } from '../../src/store/resource-text';
import { Store } from '../../src/store/store';
import { historyCollectionName, type HistoryDocument, type StoredDocument } from '../../src/store/stored-document';
import { resolvedResources, syntheaBundles } from './synthea';

/**
 * Fills an embedded store directly through the driver, in the documents the repository writes (current version +
 * history, search index from the search layer), so the search and start-up benches get 100k-1M resources in
 * minutes instead of the hours HTTP ingest would take.
 *
 * Each Synthea resource is indexed once; copies replace the first 8 hex digits of every UUID in the text, the
 * index and the compartments: the same substitution `cloneBundleText` makes, so a copy's index is exactly what
 * `buildSearchIndex` would compute for the copied resource, at a fraction of the cost.
 */

export interface BuiltStore {
  /** Whose bundles were cloned: the Synthea ones (../shared or BENCH_SYNTHEA_DIR) or generated ones. */
  source: 'shared' | 'generated';
  resources: number;
  seconds: number;
  /** Values present in the store, for reads and searches that must hit. */
  samples: { patients: string[]; encounters: string[]; conditionCodes: string[]; families: string[] };
  types: Record<string, number>;
}

interface Template {
  type: string;
  doc: StoredDocument;
}

const UUID_PREFIX = /[0-9a-f]{8}(?=-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/g;

/** `value` with the first 8 hex digits of every UUID in it replaced by `prefix`: a copy's text, index or compartments. */
export function rewrite<T>(value: T, prefix: string): T {
  if (typeof value === 'string') return value.replace(UUID_PREFIX, prefix) as T;
  if (Array.isArray(value)) return value.map((v) => rewrite(v, prefix)) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = rewrite(v, prefix);
    return out as T;
  }
  return value;
}

function templatesOf(search: SearchContext, texts: string[], lu: Date): Template[] {
  // As the server indexes: with a Patient's blocking keys for identity matching.
  const index = serverIndexer(search);
  return texts.flatMap(resolvedResources).map((resource: Resource) => {
    const stored = withServerMeta(resource, resource.id as string, 1, lu);
    const { s, c } = index(stored);
    return { type: resource.resourceType, doc: { _id: stored.id as string, vid: 1, lu, del: false, r: JSON.stringify(stored), s, c } };
  });
}

/** Condition codes (system|code) and patient family names of the templates, which every copy shares. */
function distinctValues(templates: Template[]): Pick<BuiltStore['samples'], 'conditionCodes' | 'families'> {
  const codes = new Set<string>();
  const families = new Set<string>();
  for (const t of templates) {
    const r = JSON.parse(t.doc.r) as { code?: { coding?: Array<{ system?: string; code?: string }> }; name?: Array<{ family?: string }> };
    const coding = r.code?.coding?.[0];
    if (t.type === 'Condition' && coding?.system && coding.code) codes.add(`${coding.system}|${coding.code}`);
    if (t.type === 'Patient' && r.name?.[0]?.family) families.add(r.name[0].family);
  }
  return { conditionCodes: [...codes], families: [...families] };
}

/** Inserts documents per collection in batches of 1,000, up to 4 batches in flight. */
export class Inserter {
  private pending = new Map<string, Array<StoredDocument | HistoryDocument>>();
  private inflight: Promise<unknown>[] = [];

  constructor(private readonly store: Store) {}

  async add(collection: string, doc: StoredDocument | HistoryDocument): Promise<void> {
    let list = this.pending.get(collection);
    if (!list) this.pending.set(collection, (list = []));
    list.push(doc);
    if (list.length >= 1000) await this.send(collection);
  }

  private async send(collection: string): Promise<void> {
    const docs = this.pending.get(collection) ?? [];
    this.pending.set(collection, []);
    if (!docs.length) return;
    this.inflight.push(this.store.db.collection(collection).insertMany(docs as never[], { ordered: false }));
    if (this.inflight.length >= 4) await Promise.all(this.inflight.splice(0));
  }

  async flush(): Promise<void> {
    for (const c of [...this.pending.keys()]) await this.send(c);
    await Promise.all(this.inflight.splice(0));
  }
}

/**
 * An embedded store to fill directly: no compaction while loading (each would rewrite the whole store so far), and
 * the search index format recorded as the server records it (otherwise it would index the fixture again at start-up).
 */
export async function openBuildStore(dataDir: string, search: SearchContext, dbName = 'fhir') {
  const engine = await startEmbeddedMongo({ dataDir, fsync: 'never', compactAtBytes: Infinity });
  const store = await Store.connect({
    uri: engine.uri,
    dbName,
    searchIndexSpecs: (type) => searchIndexSpecs(search, type),
    indexFormat: { ...SEARCH_INDEX_FORMAT, index: serverIndexer(search) },
  });
  return { engine, store };
}

export async function buildStore(dataDir: string, target: number, dbName = 'fhir'): Promise<BuiltStore> {
  const started = process.hrtime.bigint();
  const set = syntheaBundles();
  const lu = new Date();
  // The search parameters of a server without profile folders of its own: the one the benches start on the store.
  const search = new SearchContext();
  // Synthea repeats an organisation in every bundle of its patients (POSTed, so a server gives each its own id);
  // stored under the fullUrl's UUID, each is kept once.
  const seen = new Set<string>();
  const unique = (t: Template) => !seen.has(`${t.type}/${t.doc._id}`) && seen.add(`${t.type}/${t.doc._id}`);
  const shared = templatesOf(search, set.shared, lu).filter(unique);
  const patients = templatesOf(search, set.patients, lu).filter(unique);
  // No compaction while loading: each one would rewrite the whole store so far, competing with the inserts. One
  // snapshot at the end leaves the store as a long-running server's would be (snapshot + short journal).
  const { engine, store } = await openBuildStore(dataDir, search, dbName);
  const types: Record<string, number> = {};
  const samples: BuiltStore['samples'] = { patients: [], encounters: [], ...distinctValues(patients) };
  try {
    const inserter = new Inserter(store);
    let written = 0;
    const write = async (t: Template, doc: StoredDocument) => {
      await inserter.add(t.type, doc);
      const h: HistoryDocument = { _id: `${doc._id}/1`, id: doc._id, vid: 1, lu: doc.lu, del: false, op: 'create', r: doc.r, c: doc.c };
      await inserter.add(historyCollectionName(t.type), h);
      types[t.type] = (types[t.type] ?? 0) + 1;
      if (t.type === 'Patient' && samples.patients.length < 1000) samples.patients.push(doc._id);
      if (t.type === 'Encounter' && samples.encounters.length < 1000) samples.encounters.push(doc._id);
      written++;
    };
    for (const t of shared) await write(t, t.doc);
    for (let copy = 0; written < target; copy++) {
      const prefix = (0x10000000 + copy).toString(16);
      for (const t of patients) {
        if (written >= target) break;
        await write(
          t,
          copy === 0 ? t.doc : { ...t.doc, _id: rewrite(t.doc._id, prefix), r: rewrite(t.doc.r, prefix), s: rewrite(t.doc.s, prefix), c: rewrite(t.doc.c, prefix) },
        );
      }
    }
    await inserter.flush();
    // Indexes built once over the loaded collections rather than maintained insert by insert.
    for (const t of Object.keys(types)) await store.ensureType(t);
    // As the server records it: otherwise it would key every Patient again at start-up.
    await recordMatchKeys(store.db);
    await engine.compact();
    return { source: set.source, resources: written, seconds: Number(process.hrtime.bigint() - started) / 1e9, samples, types };
  } finally {
    await store.close();
    await engine.stop();
  }
}

// Run as a child process by the bench (`node store-builder.js <dataDir> <count>`), so the memory of a million
// documents is returned to the system before the server starts on them.
if (require.main === module) {
  const [dataDir, count] = process.argv.slice(2);
  buildStore(dataDir, Number(count)).then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
