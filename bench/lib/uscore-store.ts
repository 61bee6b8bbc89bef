import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { DocumentReference, Resource } from 'fhir/r4';
import { SearchContext } from '../../src/search';
import { withServerMeta } from '../../src/store/resource-text';
import { historyCollectionName, type StoredDocument } from '../../src/store/stored-document';
import { recordMatchKeys, serverIndexer } from './match-store';
import { Inserter, openBuildStore, rewrite } from './store-builder';

/** The Synthea US Core NDJSON sample (one file per type; BENCH_USCORE_DIR, else ../shared): SNOMED-coded conditions, H&P notes, no discharge summaries. */
export const USCORE_NDJSON = process.env.BENCH_USCORE_DIR ?? path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'data', 'synthea-uscore-ndjson');

/** Types cloned per copy (a patient's chart); the others (practitioners, organisations) are stored once. */
const CHART_TYPES = new Set(['Patient', 'Encounter', 'Condition', 'DocumentReference']);

export interface UsCoreStore {
  copies: number;
  resources: number;
  types: Record<string, number>;
  seconds: number;
}

/** A document's note text is not what the rules read: kept to a line, so a copy costs the store what its index does. */
function withoutNoteText(r: Resource): Resource {
  if (r.resourceType !== 'DocumentReference') return r;
  const doc = r as DocumentReference;
  const content = doc.content.map((c) => ({ ...c, attachment: { ...c.attachment, data: Buffer.from('note').toString('base64') } }));
  return { ...doc, content } as DocumentReference;
}

/**
 * Fills an embedded store with `copies` copies of the sample's charts (the first 8 hex digits of every UUID
 * replaced per copy, as store-builder.ts clones Synthea bundles), each resource indexed once by the search layer.
 * The sample's types outside the rules' reach (medications, procedures, ...) are left out.
 */
export async function buildUsCoreStore(dataDir: string, copies: number, dir = USCORE_NDJSON): Promise<UsCoreStore> {
  const started = process.hrtime.bigint();
  const search = new SearchContext();
  // As the server indexes: with a Patient's blocking keys for identity matching.
  const index = serverIndexer(search);
  const lu = new Date();
  const templates: Array<{ type: string; doc: StoredDocument; chart: boolean }> = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ndjson'))) {
    const type = file.split('.')[0];
    if (!CHART_TYPES.has(type) && type !== 'Practitioner') continue;
    for (const line of readFileSync(path.join(dir, file), 'utf8').split('\n').filter(Boolean)) {
      const resource = withoutNoteText(JSON.parse(line) as Resource);
      const stored = withServerMeta(resource, resource.id as string, 1, lu);
      const { s, c } = index(stored);
      templates.push({ type, chart: CHART_TYPES.has(type), doc: { _id: stored.id as string, vid: 1, lu, del: false, r: JSON.stringify(stored), s, c } });
    }
  }
  const { engine, store } = await openBuildStore(dataDir, search);
  const types: Record<string, number> = {};
  let resources = 0;
  try {
    const inserter = new Inserter(store);
    const write = async (type: string, doc: StoredDocument) => {
      await inserter.add(type, doc);
      await inserter.add(historyCollectionName(type), { _id: `${doc._id}/1`, id: doc._id, vid: 1, lu, del: false, op: 'create', r: doc.r, c: doc.c });
      types[type] = (types[type] ?? 0) + 1;
      resources++;
    };
    for (const t of templates.filter((x) => !x.chart)) await write(t.type, t.doc);
    for (let copy = 0; copy < copies; copy++) {
      const prefix = (0x10000000 + copy).toString(16);
      for (const t of templates.filter((x) => x.chart)) {
        await write(
          t.type,
          copy === 0 ? t.doc : { ...t.doc, _id: rewrite(t.doc._id, prefix), r: rewrite(t.doc.r, prefix), s: rewrite(t.doc.s, prefix), c: rewrite(t.doc.c, prefix) },
        );
      }
    }
    await inserter.flush();
    for (const t of Object.keys(types)) await store.ensureType(t);
    // As the server records it: otherwise it would key every Patient again at start-up.
    await recordMatchKeys(store.db);
    await engine.compact();
    return { copies, resources, types, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  } finally {
    await store.close();
    await engine.stop();
  }
}

// Run as a child process by the completeness bench, so the memory of the documents is freed before the server starts.
if (require.main === module) {
  const [dataDir, copies] = process.argv.slice(2);
  buildUsCoreStore(dataDir, Number(copies)).then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
