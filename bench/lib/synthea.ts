import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Bundle, Resource } from 'fhir/r4';
import { loadRank } from '../../src/loader/inputs';
import { generatePatientBundle, generateSharedBundle } from './generate';

/** Transaction bundles as JSON text: sent as written, cloned by text substitution. */
export interface BundleSet {
  source: 'shared' | 'generated';
  /** Bundles every patient bundle may refer to (Synthea hospital and practitioner information): load first. */
  shared: string[];
  patients: string[];
  /** Entries across all bundles. */
  resources: number;
}

export const SHARED_SYNTHEA = path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'data', 'synthea-r4-bundles');

function entryCount(text: string): number {
  return (JSON.parse(text) as Bundle).entry?.length ?? 0;
}

/**
 * The Synthea bundles in ../shared when present (run from dist/bench/lib, hence four levels up to the project's
 * parent), else generated bundles of the same shape and size (20 patients, ~150 entries each).
 */
export function syntheaBundles(dir = process.env.BENCH_SYNTHEA_DIR ?? SHARED_SYNTHEA): BundleSet {
  if (existsSync(dir)) {
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort((a, b) => loadRank(a) - loadRank(b) || a.localeCompare(b));
    const texts = files.map((f) => ({ f, text: readFileSync(path.join(dir, f), 'utf8') }));
    const first = texts.filter(({ f }) => loadRank(f) < 2).map(({ text }) => text);
    const patients = texts.filter(({ f }) => loadRank(f) >= 2).map(({ text }) => text);
    return { source: 'shared', shared: first, patients, resources: [...first, ...patients].reduce((n, t) => n + entryCount(t), 0) };
  }
  const shared = [JSON.stringify(generateSharedBundle())];
  const patients = Array.from({ length: 20 }, (_, i) => JSON.stringify(generatePatientBundle(i)));
  return { source: 'generated', shared, patients, resources: [...shared, ...patients].reduce((n, t) => n + entryCount(t), 0) };
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/**
 * A copy of a bundle in which every UUID (fullUrls, ids, identifiers, references) is replaced consistently by a new
 * one derived from `copy`, so the clone is a different patient with the same shape.
 */
export function cloneBundleText(text: string, copy: number): string {
  const prefix = (copy % 0xffffffff).toString(16).padStart(8, '0');
  return text.replace(UUID, (u) => `${prefix}${u.slice(8)}`);
}

/** The bundle's resources with client-chosen ids (the fullUrl UUIDs) and urn:uuid references as `Type/id`. */
export function resolvedResources(text: string): Resource[] {
  const bundle = JSON.parse(text) as Bundle;
  const ids = new Map<string, string>();
  for (const e of bundle.entry ?? []) {
    const r = e.resource as Resource;
    r.id = e.fullUrl?.startsWith('urn:uuid:') ? e.fullUrl.slice(9) : (r.id ?? '');
    if (e.fullUrl) ids.set(e.fullUrl, `${r.resourceType}/${r.id}`);
  }
  const rewritten = JSON.stringify((bundle.entry ?? []).map((e) => e.resource)).replace(/"reference":"(urn:uuid:[^"]+)"/g, (m, ref: string) =>
    ids.has(ref) ? `"reference":"${ids.get(ref)}"` : m,
  );
  return JSON.parse(rewritten) as Resource[];
}

/**
 * The same bundle as batches of PUTs. A batch's entries are independent (the server may process them in any order
 * and checks references against what is stored), so resources go in dependency levels: a batch holds only
 * resources whose targets were stored by an earlier one (Patient and Organization, then Encounter, then what
 * points at encounters, ...).
 */
export function asPutBatches(text: string): Bundle[] {
  const resources = resolvedResources(text);
  const byKey = new Map(resources.map((r) => [`${r.resourceType}/${r.id}`, r]));
  const refs = new Map(resources.map((r) => [r, [...JSON.stringify(r).matchAll(/"reference":"([^"]+)"/g)].map((m) => m[1]).filter((k) => byKey.has(k))]));
  const level = new Map<Resource, number>();
  const levelOf = (r: Resource, depth = 0): number => {
    const known = level.get(r);
    if (known !== undefined) return known;
    // A reference cycle (none in Synthea) would recurse forever: beyond any real depth, stop counting.
    const l = depth > 50 ? 0 : Math.max(-1, ...(refs.get(r) ?? []).map((k) => levelOf(byKey.get(k)!, depth + 1))) + 1;
    level.set(r, l);
    return l;
  };
  const levels: Resource[][] = [];
  for (const r of resources) (levels[levelOf(r)] ??= []).push(r);
  return levels.filter(Boolean).map((list) => ({
    resourceType: 'Bundle',
    type: 'batch',
    entry: list.map((resource) => ({ resource, request: { method: 'PUT' as const, url: `${resource.resourceType}/${resource.id}` } })),
  }));
}
