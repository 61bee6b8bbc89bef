import type { Bundle, BundleEntry, BundleLink, OperationOutcome, OperationOutcomeIssue, Resource } from 'fhir/r4';
import type { Filter } from 'mongodb';
import { badRequest, issue } from '../errors/operation-outcome-error';
import { isInPatientCompartmentDefinition } from '../fhir/patient-compartment';
import { subset } from '../router/subsetting';
import type { StoredDocument } from '../store/stored-document';
import { compileFilter } from './compile';
import { resolveIncludes, type Row } from './include';
import { compareRows, decodeToken, encodeToken, keysetFilter, keyValues, mongoSort, sortKeyDefs, type KeyValue, type PageToken, type SortKeyDef } from './paging';
import type { SearchContext } from './context';
import type { ExecuteContext, SearchRequest, SearchStore } from './types';

/**
 * Runs a parsed search: one filter per searched type, keyset-paged in the requested order, totals on request,
 * includes, and the searchset Bundle with self/next/prev links and an outcome entry for what was not applied.
 */

type DocFilter = Filter<StoredDocument>;

interface KeyedRow extends Row {
  keys: KeyValue[];
}

function checkCompartment(req: SearchRequest, ctx: ExecuteContext): void {
  const c = ctx.compartment;
  if (!c) return;
  if (c.type !== 'Patient') throw badRequest(`Compartment ${c.type} is not supported; only Patient is`);
  for (const t of req.types) {
    if (!isInPatientCompartmentDefinition(t)) throw badRequest(`${t} is not in the Patient compartment`);
  }
}

function projection(req: SearchRequest, keys: readonly SortKeyDef[]): Record<string, 1> {
  // `c`: the repository's trace records the patients of every row, so the search's AuditEvent names them.
  const p: Record<string, 1> = { _id: 1, r: 1, lu: 1, vid: 1, c: 1 };
  for (const k of keys) if (k.field && k.field.startsWith('s.o.')) p[k.field] = 1;
  if (req.include.length || req.revinclude.length) p['s.e'] = 1;
  return p;
}

async function fetchPage(
  store: SearchStore,
  filters: Map<string, DocFilter>,
  keys: readonly SortKeyDef[],
  token: PageToken | undefined,
  limit: number,
  proj: Record<string, 1>,
): Promise<KeyedRow[]> {
  const backwards = token?.backwards ?? false;
  const rows: KeyedRow[] = [];
  for (const [type, filter] of filters) {
    const after = token ? keysetFilter(keys, token.keys, type, backwards) : undefined;
    const query = after ? { $and: [filter, after] } : filter;
    for await (const doc of store.find(type, query as DocFilter, { sort: mongoSort(keys, backwards), limit, projection: proj })) {
      rows.push({ type, doc, keys: keyValues(doc, type, keys) });
    }
  }
  rows.sort((a, b) => (backwards ? -1 : 1) * compareRows(keys, a.keys, b.keys));
  return rows.slice(0, limit);
}

function linkUrl(ctx: ExecuteContext, path: string, params: Array<[string, string]>): string {
  const qs = new URLSearchParams(params).toString();
  return `${ctx.baseUrl}/${path}${qs ? `?${qs}` : ''}`;
}

function toEntry(ctx: ExecuteContext, req: SearchRequest, row: Row, mode: 'match' | 'include'): BundleEntry {
  const resource = JSON.parse(row.doc.r) as Resource;
  return {
    fullUrl: `${ctx.baseUrl}/${row.type}/${row.doc._id}`,
    resource: req.summary || req.elements ? subset(resource, req.summary, req.elements) : resource,
    search: { mode },
  };
}

function searchPath(req: SearchRequest, ctx: ExecuteContext): string {
  if (ctx.compartment) return `${ctx.compartment.type}/${ctx.compartment.id}/${req.types[0]}`;
  return req.system ? '' : req.types[0];
}

export async function executeSearch(search: SearchContext, store: SearchStore, req: SearchRequest, ctx: ExecuteContext): Promise<Bundle> {
  checkCompartment(req, ctx);
  const notes: OperationOutcomeIssue[] = req.ignored.map((i) => issue('not-supported', `Parameter ${i.name} was ignored: ${i.reason}`, i.name, 'warning'));
  let count = req.summary === 'count' ? 0 : (req.count ?? ctx.defaultCount);
  if (count > ctx.maxCount) {
    notes.push(issue('informational', `_count was reduced to the server maximum of ${ctx.maxCount}`, '_count', 'information'));
    count = ctx.maxCount;
  }
  const keys = sortKeyDefs(req.sort);
  const token = req.cursor ? decodeToken(req.cursor, keys.length) : undefined;
  const filters = new Map<string, DocFilter>();
  for (const type of req.types) filters.set(type, await compileFilter(store, type, req.clauses, ctx.compartment));

  const rows = count > 0 ? await fetchPage(store, filters, keys, token, count + 1, projection(req, keys)) : [];
  const more = rows.length > count;
  const page = rows.slice(0, count);
  if (token?.backwards) page.reverse();

  const totalMode = req.total ?? ctx.defaultTotal ?? 'accurate';
  let total: number | undefined;
  if (totalMode !== 'none' || req.summary === 'count') {
    if (!token && !more && count > 0) total = page.length;
    else {
      total = 0;
      for (const [type, filter] of filters) total += await store.count(type, filter);
    }
  }

  const path = searchPath(req, ctx);
  const base: Array<[string, string]> = [...req.applied, ['_count', String(count)]];
  const link: BundleLink[] = [{ relation: 'self', url: linkUrl(ctx, path, req.cursor ? [...base, ['_cursor', req.cursor]] : base) }];
  if (page.length) {
    const hasNext = token?.backwards ? true : more;
    const hasPrev = token?.backwards ? more : token !== undefined;
    if (hasNext) {
      const next = encodeToken({ keys: page[page.length - 1].keys, backwards: false });
      link.push({ relation: 'next', url: linkUrl(ctx, path, [...base, ['_cursor', next]]) });
    }
    if (hasPrev) {
      const prev = encodeToken({ keys: page[0].keys, backwards: true });
      link.push({ relation: 'previous', url: linkUrl(ctx, path, [...base, ['_cursor', prev]]) });
    }
  }

  const entry: BundleEntry[] = page.map((r) => toEntry(ctx, req, r, 'match'));
  if (page.length && (req.include.length || req.revinclude.length)) {
    const included = await resolveIncludes(search.registry, store, page, req.include, req.revinclude);
    entry.push(...included.rows.map((r) => toEntry(ctx, req, r, 'include')));
    if (included.truncated) notes.push(issue('too-costly', 'Included resources were limited', undefined, 'warning'));
  }
  if (notes.length) {
    const outcome: OperationOutcome = { resourceType: 'OperationOutcome', issue: notes };
    entry.push({ resource: outcome, search: { mode: 'outcome' } });
  }
  const bundle: Bundle = { resourceType: 'Bundle', type: 'searchset', meta: { lastUpdated: new Date().toISOString() } };
  if (total !== undefined) bundle.total = total;
  bundle.link = link;
  if (entry.length) bundle.entry = entry;
  return bundle;
}
