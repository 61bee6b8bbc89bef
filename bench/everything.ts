/**
 * Patient/$everything bench: the cost of one page for a patient with ~10 resources and for one with a large record
 * (100,000 by default), at the start, the middle and the end of the large record, against the real server in its
 * own process (as `npm start` runs it). The issue asks that a page cost the same whatever the record's size and
 * wherever the page starts: the rows are wall milliseconds (p50 / p95 over sequential requests) and the server's
 * CPU milliseconds per page (both threads: HTTP and the embedded engine).
 *
 * The store is built directly through the driver (documents as the repository writes them, indexed by the search
 * layer; no history collections, which $everything does not read): generated resources of seven types referencing
 * 20 Practitioners, 5 Organizations and 5 Locations, for the large patient, the small one and 200 others of 50
 * resources each, so the collections hold other patients' data too.
 *
 * Run alone:  npm run build && node dist/bench/everything.js [--resources N] [--count N] [--repeats N]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { FhirResource as Resource } from 'fhir/r4';
import { startEmbeddedMongo } from '@fhirstone/embedded-mongo';
import { walkOrder } from '../src/everything/record-walk';
import { SEARCH_INDEX_FORMAT, SearchContext, buildSearchIndex, searchIndexSpecs } from '../src/search';
import { encodeToken } from '../src/search/paging';
import { withServerMeta } from '../src/store/resource-text';
import { Store } from '../src/store/store';
import { storedDocumentOf, type StoredDocument } from '../src/store/stored-document';
import { percentile } from './lib/stats';
import { cpuDuring, msPerUnit, startChildServer, waitIdle } from './lib/server-process';

export interface EverythingBenchOptions {
  /** Resources in the large patient's record (default 100,000). */
  resources?: number;
  /** `_count` of each page (default 50). */
  count?: number;
  /** Timed requests per position (default 30). */
  repeats?: number;
}

export interface PageTiming {
  patient: 'small' | 'large';
  /** Where the page starts: `first`, or a share of the record walked before it (`50%`). */
  position: string;
  entries: number;
  p50Ms: number;
  p95Ms: number;
  serverCpuMsPerPage?: number;
}

export interface EverythingBenchResult {
  largeResources: number;
  smallResources: number;
  storeResources: number;
  buildSeconds: number;
  count: number;
  pages: PageTiming[];
  /** Consecutive pages from the start of the large record, following next links. */
  walk: { pages: number; p50Ms: number; p95Ms: number; serverCpuMsPerPage?: number };
  /** A search page of the same size (`Observation?subject=...&_count=`) on the same server, for comparison. */
  search: { p50Ms: number; p95Ms: number; serverCpuMsPerPage?: number };
  loadAverage: number[];
}

const LARGE = 'everything-large';
const SMALL = 'everything-small';

/** A deterministic pseudo-random sequence (the same store every run). */
function random(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

const coding = (system: string, code: string, display: string) => ({ coding: [{ system, code, display }], text: display });
const LOINC = 'http://loinc.org';
const SNOMED = 'http://snomed.info/sct';

/** One generated resource of the record of `patient`: types in the proportions of a Synthea record. */
function generated(patient: string, i: number, next: () => number): Resource {
  const subject = { reference: `Patient/${patient}` };
  const pick = (n: number) => Math.floor(next() * n);
  const day = new Date(Date.UTC(2000, 0, 1) + pick(24 * 365) * 86_400_000).toISOString();
  const practitioner = { reference: `Practitioner/bench-pr-${pick(20)}` };
  const id = `${patient}-${i.toString(36).padStart(5, '0')}`;
  const text = { status: 'generated' as const, div: `<div xmlns="http://www.w3.org/1999/xhtml">Generated record entry ${i} of ${patient}</div>` };
  const roll = next();
  if (roll < 0.55) {
    return {
      resourceType: 'Observation',
      id,
      text,
      status: 'final',
      category: [coding('http://terminology.hl7.org/CodeSystem/observation-category', 'vital-signs', 'Vital signs')],
      code: coding(LOINC, '8867-4', 'Heart rate'),
      subject,
      effectiveDateTime: day,
      issued: day,
      performer: [practitioner],
      valueQuantity: { value: 50 + pick(60), unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
    };
  }
  if (roll < 0.7) {
    return {
      resourceType: 'Encounter',
      id,
      text,
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
      type: [coding(SNOMED, '185349003', 'Encounter for check up')],
      subject,
      participant: [{ individual: practitioner }],
      period: { start: day, end: day },
      location: [{ location: { reference: `Location/bench-loc-${pick(5)}` } }],
      serviceProvider: { reference: `Organization/bench-org-${pick(5)}` },
    };
  }
  if (roll < 0.8) {
    return {
      resourceType: 'Procedure',
      id,
      text,
      status: 'completed',
      code: coding(SNOMED, '430193006', 'Medication reconciliation'),
      subject,
      performedPeriod: { start: day, end: day },
      performer: [{ actor: practitioner }],
      location: { reference: `Location/bench-loc-${pick(5)}` },
    };
  }
  if (roll < 0.88) {
    return {
      resourceType: 'MedicationRequest',
      id,
      text,
      status: 'active',
      intent: 'order',
      medicationCodeableConcept: coding('http://www.nlm.nih.gov/research/umls/rxnorm', '314076', 'lisinopril 10 MG Oral Tablet'),
      subject,
      authoredOn: day,
      requester: practitioner,
    };
  }
  if (roll < 0.94) {
    return {
      resourceType: 'Condition',
      id,
      text,
      clinicalStatus: coding('http://terminology.hl7.org/CodeSystem/condition-clinical', 'active', 'Active'),
      code: coding(SNOMED, '38341003', 'Hypertension'),
      subject,
      onsetDateTime: day,
      recordedDate: day,
      recorder: practitioner,
    };
  }
  return {
    resourceType: 'Immunization',
    id,
    text,
    status: 'completed',
    vaccineCode: coding('http://hl7.org/fhir/sid/cvx', '140', 'Influenza, seasonal'),
    patient: subject,
    occurrenceDateTime: day,
    performer: [{ actor: practitioner }],
  };
}

function sharedResources(): Resource[] {
  const out: Resource[] = [];
  for (let i = 0; i < 20; i++) out.push({ resourceType: 'Practitioner', id: `bench-pr-${i}`, name: [{ family: `Doctor${i}`, prefix: ['Dr.'] }] });
  for (let i = 0; i < 5; i++) out.push({ resourceType: 'Organization', id: `bench-org-${i}`, name: `Clinic ${i}` });
  for (let i = 0; i < 5; i++)
    out.push({ resourceType: 'Location', id: `bench-loc-${i}`, name: `Room ${i}`, managingOrganization: { reference: `Organization/bench-org-${i}` } });
  return out;
}

/** Writes the store; returns the large record's walk order (type order, then id) for cursors into it. */
async function buildStore(dataDir: string, large: number, small: number): Promise<{ order: Array<[string, string]>; resources: number }> {
  const search = new SearchContext();
  const engine = await startEmbeddedMongo({ dataDir, fsync: 'never', compactAtBytes: Infinity });
  const store = await Store.connect({
    uri: engine.uri,
    dbName: 'fhir',
    searchIndexSpecs: (type) => searchIndexSpecs(search, type),
    indexFormat: { ...SEARCH_INDEX_FORMAT, index: (resource) => buildSearchIndex(search, resource) },
  });
  const lu = new Date();
  const pending = new Map<string, StoredDocument[]>();
  let resources = 0;
  const flush = async (type: string) => {
    const docs = pending.get(type) ?? [];
    pending.set(type, []);
    if (docs.length) await store.db.collection<StoredDocument>(type).insertMany(docs, { ordered: false });
  };
  const write = async (resource: Resource) => {
    const stored = withServerMeta(resource, resource.id as string, 1, lu);
    const doc = storedDocumentOf(resource.id as string, 1, lu, stored, buildSearchIndex(search, stored));
    const list = pending.get(resource.resourceType) ?? [];
    pending.set(resource.resourceType, list);
    list.push(doc);
    resources++;
    if (list.length >= 1000) await flush(resource.resourceType);
  };
  const order: Array<[string, string]> = [];
  try {
    for (const r of sharedResources()) await write(r);
    const next = random(42);
    const patients: Array<[string, number]> = [[LARGE, large], [SMALL, small], ...Array.from({ length: 200 }, (_, i): [string, number] => [`everything-other-${i}`, 50])];
    for (const [patient, n] of patients) {
      await write({ resourceType: 'Patient', id: patient, name: [{ family: patient }], generalPractitioner: [{ reference: 'Practitioner/bench-pr-0' }] });
      if (patient === LARGE) order.push([walkOrder('Patient'), patient]);
      for (let i = 0; i < n; i++) {
        const r = generated(patient, i, next);
        await write(r);
        if (patient === LARGE) order.push([walkOrder(r.resourceType), r.id as string]);
      }
    }
    for (const type of [...pending.keys()]) await flush(type);
    for (const type of pending.keys()) await store.ensureType(type);
    await engine.compact();
  } finally {
    await store.close();
    await engine.stop();
  }
  order.sort(([ta, ia], [tb, ib]) => (ta < tb ? -1 : ta > tb ? 1 : ia < ib ? -1 : ia > ib ? 1 : 0));
  return { order, resources };
}

async function timeRequests(pid: number, urls: () => string, repeats: number): Promise<{ times: number[]; entries: number; cpuSeconds?: number }> {
  const fetchPage = async (url: string) => {
    const res = await fetch(url, { headers: { accept: 'application/fhir+json' } });
    const body = (await res.json()) as { entry?: unknown[]; link?: Array<{ relation: string; url: string }> };
    if (res.status !== 200) throw new Error(`${url}: ${res.status} ${JSON.stringify(body)}`);
    return body;
  };
  for (let i = 0; i < 3; i++) await fetchPage(urls());
  const times: number[] = [];
  let entries = 0;
  const { cpuSeconds } = await cpuDuring(pid, async () => {
    for (let i = 0; i < repeats; i++) {
      const t0 = performance.now();
      const body = await fetchPage(urls());
      times.push(performance.now() - t0);
      entries = body.entry?.length ?? 0;
    }
  });
  return { times, entries, cpuSeconds };
}

const round = (n: number) => Math.round(n * 100) / 100;

export async function benchEverything(opts: EverythingBenchOptions = {}): Promise<EverythingBenchResult> {
  const large = opts.resources ?? 100_000;
  const count = opts.count ?? 50;
  const repeats = opts.repeats ?? 30;
  const small = 9;
  const work = mkdtempSync(path.join(os.tmpdir(), 'bench-everything-'));
  try {
    const dataDir = path.join(work, 'data');
    const t0 = performance.now();
    const built = await buildStore(dataDir, large, small);
    const buildSeconds = Math.round((performance.now() - t0) / 1000);
    const server = await startChildServer({ dataDir, maxOldSpaceMb: 4096 });
    try {
      await waitIdle(server.pid);
      const url = (patient: string, cursor?: string) => `${server.baseUrl}/Patient/${patient}/$everything?_count=${count}${cursor ? `&_cursor=${cursor}` : ''}`;
      /** A cursor after the row at `share` of the large record (the position a next link would hold there). */
      const at = (share: number) => {
        const [order, id] = built.order[Math.min(built.order.length - count - 1, Math.floor(share * built.order.length))];
        return encodeToken({ keys: [LARGE, order, id], backwards: false });
      };
      // For comparison: a plain search page of the same size over the large record's Observations.
      const search = await timeRequests(server.pid, () => `${server.baseUrl}/Observation?subject=Patient/${LARGE}&_count=${count}&_total=none`, repeats);
      const positions: Array<{ patient: 'small' | 'large'; position: string; url: () => string }> = [
        { patient: 'small', position: 'first', url: () => url(SMALL) },
        { patient: 'large', position: 'first', url: () => url(LARGE) },
        { patient: 'large', position: '50%', url: () => url(LARGE, at(0.5)) },
        { patient: 'large', position: '99%', url: () => url(LARGE, at(0.99)) },
      ];
      const pages: PageTiming[] = [];
      for (const p of positions) {
        const r = await timeRequests(server.pid, p.url, repeats);
        pages.push({
          patient: p.patient,
          position: p.position,
          entries: r.entries,
          p50Ms: round(percentile(r.times, 50)),
          p95Ms: round(percentile(r.times, 95)),
          serverCpuMsPerPage: msPerUnit(r.cpuSeconds, repeats),
        });
      }
      // Consecutive pages from the start, each from the previous page's next link.
      let nextUrl = url(LARGE);
      const times: number[] = [];
      const { cpuSeconds } = await cpuDuring(server.pid, async () => {
        for (let i = 0; i < repeats; i++) {
          const start = performance.now();
          const res = await fetch(nextUrl, { headers: { accept: 'application/fhir+json' } });
          const body = (await res.json()) as { link: Array<{ relation: string; url: string }> };
          times.push(performance.now() - start);
          nextUrl = body.link.find((l) => l.relation === 'next')?.url ?? url(LARGE);
        }
      });
      return {
        largeResources: large,
        smallResources: small,
        storeResources: built.resources,
        buildSeconds,
        count,
        pages,
        walk: { pages: repeats, p50Ms: round(percentile(times, 50)), p95Ms: round(percentile(times, 95)), serverCpuMsPerPage: msPerUnit(cpuSeconds, repeats) },
        search: { p50Ms: round(percentile(search.times, 50)), p95Ms: round(percentile(search.times, 95)), serverCpuMsPerPage: msPerUnit(search.cpuSeconds, repeats) },
        loadAverage: os.loadavg().map((l) => Math.round(l * 10) / 10),
      };
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const { values } = parseArgs({ options: { resources: { type: 'string' }, count: { type: 'string' }, repeats: { type: 'string' } } });
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  benchEverything({ resources: num(values.resources), count: num(values.count), repeats: num(values.repeats) }).then(
    (r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
