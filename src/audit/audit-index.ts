import type { AuditEvent } from 'fhir/r4';
import type { SearchContext } from '../search/context';
import { entryArray } from '../search/entry-array';
import { evaluatorFor } from '../search/registry';
import { type CompiledExpression, splitUnion } from '../search/expression';
import { DIRECT_PARAMS, MAX_ENTRIES_PER_PARAM, compartments, sortKey } from '../search/index-builder';
import { patientReferenceEntries } from '../search/patient-references';
import type { IndexEntry, SearchIndexDoc, SearchParam, SortKey } from '../search/types';
import { ComponentMemo } from '../search/types/component-memo';
import type { IndexFields, IndexScope, ParamTypeModule } from '../search/types/param-type';
import { isSupportedType, moduleFor } from '../search/types/index';
import type { Indexer, SearchFields } from '../store/stored-document';

/**
 * The search index of the AuditEvents the trail writes, one per request: the same definitions, evaluators and value
 * normalisation as the search layer's index-on-write (`buildSearchIndex`), and the same result to the byte, without its
 * per-resource generality. What it leaves out, measured on the events of reads:
 * - the plan (AuditEvent's parameters with an expression, their type modules and entry arrays) is made once, not
 *   looked up per parameter per event, and a parameter whose top-level elements the event lacks is not evaluated;
 * - entries take their code in place instead of being copied, and duplicates are found by comparing fields, not
 *   by serialising every entry of a parameter with two or more.
 * Anything it does not take on (a composite or special parameter, a value whose indexing throws) sends the event to
 * `fallback`, the search layer's own builder, which also reports the failure as it always does.
 */

interface PlannedParam {
  param: SearchParam;
  evaluate: CompiledExpression;
  module: ParamTypeModule;
  array: 'e' | 'r';
  /** The event's top-level elements the expression starts from: none present, no values. */
  roots: readonly string[];
}

/** Top-level elements of `AuditEvent.x...`, `Resource.x...` branches; undefined when a branch starts otherwise. */
function rootsOf(expression: string): string[] | undefined {
  const roots = new Set<string>();
  for (const branch of splitUnion(expression)) {
    const m = /^\s*\(?\s*(?:AuditEvent|Resource|DomainResource)\.([a-zA-Z]+)/.exec(branch);
    if (!m) return undefined;
    roots.add(m[1]);
  }
  return [...roots];
}

function plan(search: SearchContext): PlannedParam[] | undefined {
  const out: PlannedParam[] = [];
  for (const param of search.registry.params('AuditEvent')) {
    if (DIRECT_PARAMS.has(param.code) || !param.expression || !isSupportedType(param.type)) continue;
    const roots = rootsOf(param.expression);
    if (param.type === 'composite' || param.type === 'special' || !roots) return undefined;
    const evaluate = evaluatorFor(param);
    if (!evaluate) return undefined;
    out.push({ param, evaluate, module: moduleFor(param.type), array: entryArray(param), roots });
  }
  return out;
}

/** `a` and `b` serialise to the same JSON (the search layer's duplicate test), for the flat entries of a value. */
function sameJson(a: object, b: object): boolean {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    if (ka[i] !== kb[i]) return false;
    const va = (a as Record<string, unknown>)[ka[i]];
    const vb = (b as Record<string, unknown>)[kb[i]];
    if (va === vb && (typeof va === 'string' || (typeof va === 'number' && Number.isFinite(va)))) continue;
    if (JSON.stringify(va) !== JSON.stringify(vb)) return false;
  }
  return true;
}

function entriesOf(event: AuditEvent, p: PlannedParam, scope: IndexScope): IndexEntry[] {
  const entries: IndexEntry[] = [];
  for (const node of p.evaluate(event)) {
    for (const fields of p.module.index(node, p.param, scope) as IndexFields[]) {
      fields.p ??= p.param.code;
      entries.push(fields as IndexEntry);
    }
  }
  if (entries.length < 2) return entries;
  const out: IndexEntry[] = [];
  for (const entry of entries) {
    if (out.length < MAX_ENTRIES_PER_PARAM && !out.some((seen) => sameJson(seen, entry))) out.push(entry);
  }
  return out;
}

function indexEvent(event: AuditEvent, params: readonly PlannedParam[], search: SearchContext): SearchFields {
  const scope: IndexScope = { search, memo: new ComponentMemo() };
  const e: IndexEntry[] = [];
  const r: IndexEntry[] = [];
  const o: Record<string, SortKey> = {};
  const present = event as unknown as Record<string, unknown>;
  for (const p of params) {
    if (!p.roots.some((root) => present[root] !== undefined)) continue;
    const entries = entriesOf(event, p, scope);
    if (!entries.length) continue;
    (p.array === 'r' ? r : e).push(...entries);
    const key = sortKey(entries.filter((x) => x.p === p.param.code));
    if (key) o[p.param.code] = key;
  }
  // AuditEvent is never a Binary: no security-context entry (security-context-entry.ts).
  e.push(...patientReferenceEntries(event, search.baseUrl));
  const s: SearchIndexDoc = r.length ? { e, r, o } : { e, o };
  return { s, c: compartments('AuditEvent', event.id, e) };
}

/**
 * The indexer of the trail's events on the server `search` belongs to; other resource types, and events it cannot
 * index the same way, go to `fallback`.
 */
export function auditEventIndexer(search: SearchContext, fallback: Indexer): Indexer {
  let params: PlannedParam[] | undefined | null = null;
  return (resource) => {
    if (resource.resourceType !== 'AuditEvent') return fallback(resource);
    if (params === null) params = plan(search);
    if (!params) return fallback(resource);
    try {
      return indexEvent(resource as AuditEvent, params, search);
    } catch {
      // Odd data the search layer skips parameter by parameter, and reports: its builder does both.
      return fallback(resource);
    }
  };
}
