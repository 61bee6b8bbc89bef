import type { SearchRegistry } from './registry';
import type { IncludeSpec, IndexEntry, SearchParam, SearchStore } from './types';
import type { StoredDocument } from '../store/stored-document';

/**
 * _include and _revinclude (spec 3.1.1.5.4), resolved from the stored reference entries of the matches (no
 * resource parsing) and fetched through the SearchStore, so included resources obey the caller's access policy:
 * `_include` follows references (a read), `_revinclude` searches the referring type (a search).
 * `:iterate` repeats over what was included, up to MAX_ITERATIONS rounds and MAX_INCLUDED resources in total.
 */
export const MAX_INCLUDED = 1000;
const MAX_ITERATIONS = 4;
const MAX_REVINCLUDE_REFS = 1000;

export interface Row {
  type: string;
  doc: StoredDocument;
}

const key = (r: { type: string; doc: { _id: string } }) => `${r.type}/${r.doc._id}`;

function entries(doc: StoredDocument): IndexEntry[] {
  return (doc.s as { e?: IndexEntry[] } | undefined)?.e ?? [];
}

function includeParams(registry: SearchRegistry, spec: IncludeSpec, type: string): SearchParam[] {
  if (spec.sourceType === '*') return registry.params(type).filter((p) => p.type === 'reference');
  return spec.sourceType === type && spec.param ? [spec.param] : [];
}

/** 'Type/id' references of `row` through the include specs. */
function outgoing(registry: SearchRegistry, row: Row, specs: readonly IncludeSpec[]): string[] {
  const out: string[] = [];
  for (const spec of specs) {
    const codes = new Set(includeParams(registry, spec, row.type).map((p) => p.code));
    if (!codes.size) continue;
    for (const e of entries(row.doc)) {
      if (!codes.has(e.p) || typeof e.v !== 'string') continue;
      const slash = e.v.indexOf('/');
      if (slash <= 0 || e.v.includes(':')) continue;
      if (spec.targetType && !e.v.startsWith(`${spec.targetType}/`)) continue;
      out.push(e.v);
    }
  }
  return out;
}

async function fetchByReference(store: SearchStore, refs: Iterable<string>, seen: Set<string>, budget: number): Promise<Row[]> {
  const byType = new Map<string, string[]>();
  for (const ref of refs) {
    if (seen.has(ref)) continue;
    seen.add(ref);
    const [type, id] = ref.split('/');
    if (!byType.has(type)) byType.set(type, []);
    byType.get(type)!.push(id);
  }
  const rows: Row[] = [];
  for (const [type, ids] of byType) {
    const byId = { _id: { $in: ids.slice(0, budget) } };
    for await (const doc of store.find(type, byId, { limit: budget - rows.length, access: 'read' })) {
      rows.push({ type, doc });
      if (rows.length >= budget) return rows;
    }
  }
  return rows;
}

async function fetchReferrers(store: SearchStore, targets: Row[], specs: readonly IncludeSpec[], seen: Set<string>, budget: number): Promise<Row[]> {
  const rows: Row[] = [];
  for (const spec of specs) {
    if (!spec.param || rows.length >= budget) continue;
    const refs = targets
      .filter((t) => !spec.param!.target.length || spec.param!.target.includes(t.type))
      .map(key)
      .slice(0, MAX_REVINCLUDE_REFS);
    if (!refs.length) continue;
    const filter = { 's.e': { $elemMatch: { p: spec.param.code, v: { $in: refs } } } };
    for await (const doc of store.find(spec.sourceType, filter, { limit: budget - rows.length })) {
      const row = { type: spec.sourceType, doc };
      if (seen.has(key(row))) continue;
      seen.add(key(row));
      rows.push(row);
    }
  }
  return rows;
}

export interface IncludeResult {
  rows: Row[];
  /** True when MAX_INCLUDED stopped the inclusion. */
  truncated: boolean;
}

export async function resolveIncludes(
  registry: SearchRegistry,
  store: SearchStore,
  matches: readonly Row[],
  include: readonly IncludeSpec[],
  revinclude: readonly IncludeSpec[],
): Promise<IncludeResult> {
  const seen = new Set(matches.map(key));
  const included: Row[] = [];
  let frontier: readonly Row[] = matches;
  for (let round = 0; round < MAX_ITERATIONS && frontier.length; round++) {
    const inc = round === 0 ? include : include.filter((s) => s.iterate);
    const rev = round === 0 ? revinclude : revinclude.filter((s) => s.iterate);
    if (!inc.length && !rev.length) break;
    const budget = () => MAX_INCLUDED - included.length;
    const next: Row[] = [];
    if (inc.length && budget() > 0) {
      next.push(
        ...(await fetchByReference(
          store,
          frontier.flatMap((r) => outgoing(registry, r, inc)),
          seen,
          budget(),
        )),
      );
    }
    if (rev.length && budget() - next.length > 0) {
      next.push(...(await fetchReferrers(store, [...frontier], rev, seen, budget() - next.length)));
    }
    included.push(...next);
    frontier = next;
    if (budget() <= 0) return { rows: included, truncated: true };
  }
  return { rows: included, truncated: false };
}
