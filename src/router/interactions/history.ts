import type { Bundle, BundleEntry, Resource } from 'fhir/r4';
import type { Filter } from 'mongodb';
import { badRequest, notFound } from '../../errors/operation-outcome-error';
import { parseInstantParameter } from '../../fhir/date-time';
import { type KeyValue, type PageToken, compareRows, decodeToken, encodeToken, keyValues, keysetFilter, sortKeyDefs } from '../../search/paging';
import type { HistoryDocument } from '../../store/stored-document';
import type { RouterContext } from '../context';
import { queryValue } from '../respond';
import type { FhirRequest, FhirResult } from '../types';

const METHOD: Record<HistoryDocument['op'], 'POST' | 'PUT' | 'PATCH' | 'DELETE'> = {
  create: 'POST',
  update: 'PUT',
  patch: 'PATCH',
  delete: 'DELETE',
};

interface Row {
  type: string;
  doc: HistoryDocument;
  /** The row's place in HISTORY_ORDER. */
  keys: KeyValue[];
}

/**
 * Newest first: (lu desc, type desc, _id desc), a total order, keyset-paged with search's tokens and continuation
 * filters (src/search/paging.ts), so a page is stable under writes. The store's history cursor sorts by the same
 * `{lu: -1, _id: -1}` within a type.
 */
const HISTORY_ORDER = sortKeyDefs([
  { code: '_lastUpdated', desc: true },
  { code: '_id', desc: true },
]);

/** The keys a `_page` token continues from: a forward token of HISTORY_ORDER, nothing else. */
function pageStart(raw: string): KeyValue[] {
  let token: PageToken | undefined;
  try {
    token = decodeToken(raw, HISTORY_ORDER.length);
  } catch {
    // answered below, in history's own words
  }
  const [lu, type, id] = token?.keys ?? [];
  if (!token || token.backwards || !(lu instanceof Date) || typeof type !== 'string' || typeof id !== 'string') {
    throw badRequest('_page is not a page token this server issued', '_page');
  }
  return token.keys;
}

/** `_since`: a day or an instant with its zone (src/fhir/date-time.ts). */
function parseSince(value: string, name: string): Date {
  const at = parseInstantParameter(value);
  if (at === 'shape') throw badRequest(`${name} must be a FHIR instant, got "${value}"`, name);
  if (at === 'calendar') throw badRequest(`${name} is not a real date: "${value}"`, name);
  return at;
}

function entry(ctx: RouterContext, { type, doc }: Row): BundleEntry {
  const e: BundleEntry = { fullUrl: `${ctx.baseUrl}/${type}/${doc.id}` };
  if (!doc.del) e.resource = JSON.parse(doc.r) as Resource;
  const method = METHOD[doc.op];
  e.request = { method, url: method === 'POST' ? type : `${type}/${doc.id}` };
  e.response = {
    status: doc.op === 'create' ? '201 Created' : doc.op === 'delete' ? '204 No Content' : '200 OK',
    etag: `W/"${doc.vid}"`,
    lastModified: doc.lu.toISOString(),
  };
  return e;
}

/** history: instance, type and system level (spec 3.1.0.9), newest first. */
export async function history(ctx: RouterContext, req: FhirRequest, type?: string, id?: string): Promise<FhirResult> {
  const countText = queryValue(req, '_count');
  if (countText !== undefined && !/^\d{1,6}$/.test(countText)) throw badRequest('_count must be a number', '_count');
  // _count=0 asks for no entries at all (as in search): an empty page, and no next link.
  const count = Math.min(countText === undefined ? ctx.defaultPageSize : Number(countText), ctx.maxPageSize);
  const sinceText = queryValue(req, '_since');
  const since = sinceText !== undefined ? parseSince(sinceText, '_since') : undefined;
  const pageText = queryValue(req, '_page');
  const after = pageText !== undefined ? pageStart(pageText) : undefined;

  const types = type ? [type] : ctx.servedTypes();
  const interaction = id ? 'read' : 'search';
  const rows: Row[] = [];
  // One query per type, in parallel, except inside a transaction (a bundle GET entry), whose session takes one
  // operation at a time.
  const each = async (t: string) => {
    const parts: Filter<HistoryDocument>[] = [];
    if (id) parts.push({ id });
    if (since) parts.push({ lu: { $gte: since } });
    const continuation = after && keysetFilter<HistoryDocument>(HISTORY_ORDER, after, t, false);
    if (continuation) parts.push(continuation);
    // SMART v2: r covers instance history (like vread), s covers type- and system-level history (like search).
    if (!ctx.repo.policy.allows(t, interaction)) {
      if (type) ctx.repo.assertAllowed(t, interaction);
      return;
    }
    const docs = await ctx.repo.historyCursor(t, parts.length ? { $and: parts } : {}, count + 1).toArray();
    for (const doc of docs) rows.push({ type: t, doc, keys: keyValues(doc, t, HISTORY_ORDER) });
  };
  if (ctx.repo.inTransactionNow) for (const t of types) await each(t);
  else await Promise.all(types.map(each));
  // An empty page may just be filtered by _since or _page; an id with no version at all is unknown (404).
  if (type && id && rows.length === 0 && !(await ctx.repo.historyCursor(type, { id }, 1).hasNext())) {
    throw notFound(`${type}/${id} is not known`);
  }
  rows.sort((a, b) => compareRows(HISTORY_ORDER, a.keys, b.keys));
  const page = rows.slice(0, count);

  const path = [type, id, '_history'].filter(Boolean).join('/');
  const base = new URLSearchParams(req.query.filter(([k]) => k !== '_page'));
  const link: Bundle['link'] = [{ relation: 'self', url: `${ctx.baseUrl}/${path}${req.query.length ? `?${new URLSearchParams(req.query)}` : ''}` }];
  if (count > 0 && rows.length > count) {
    const next = new URLSearchParams(base);
    next.set('_page', encodeToken({ keys: page[page.length - 1].keys, backwards: false }));
    link.push({ relation: 'next', url: `${ctx.baseUrl}/${path}?${next}` });
  }
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'history',
    link,
    entry: page.map((r) => entry(ctx, r)),
  };
  await ctx.completeBundle?.(bundle);
  return { status: 200, body: bundle };
}
