import type { Bundle, BundleEntry, Resource } from 'fhir/r4';
import type { Filter } from 'mongodb';
import { badRequest, notFound } from '../../errors/operation-outcome-error';
import { parseInstantParameter } from '../../fhir/date-time';
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
}

/** Keyset page token: newest-first order is (lu desc, type desc, _id desc), so paging is stable under writes. */
function encodeToken(row: Row): string {
  return Buffer.from(JSON.stringify([row.doc.lu.getTime(), row.type, row.doc._id])).toString('base64url');
}

function decodeToken(token: string): [number, string, string] {
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString()) as unknown;
    if (Array.isArray(v) && typeof v[0] === 'number' && typeof v[1] === 'string' && typeof v[2] === 'string') {
      return v as [number, string, string];
    }
  } catch {
    /* fall through */
  }
  throw badRequest('_page is not a page token this server issued', '_page');
}

/** `_since`: a day or an instant with its zone (src/fhir/date-time.ts). */
function parseSince(value: string, name: string): Date {
  const at = parseInstantParameter(value);
  if (at === 'shape') throw badRequest(`${name} must be a FHIR instant, got "${value}"`, name);
  if (at === 'calendar') throw badRequest(`${name} is not a real date: "${value}"`, name);
  return at;
}

function compareRows(a: Row, b: Row): number {
  return (
    b.doc.lu.getTime() - a.doc.lu.getTime() ||
    (a.type < b.type ? 1 : a.type > b.type ? -1 : 0) ||
    (a.doc._id < b.doc._id ? 1 : a.doc._id > b.doc._id ? -1 : 0)
  );
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
export async function history(
  ctx: RouterContext,
  req: FhirRequest,
  type?: string,
  id?: string,
): Promise<FhirResult> {
  const countText = queryValue(req, '_count');
  if (countText !== undefined && !/^\d{1,6}$/.test(countText)) throw badRequest('_count must be a number', '_count');
  // _count=0 asks for no entries at all (as in search): an empty page, and no next link.
  const count = Math.min(countText === undefined ? ctx.defaultPageSize : Number(countText), ctx.maxPageSize);
  const sinceText = queryValue(req, '_since');
  const since = sinceText !== undefined ? parseSince(sinceText, '_since') : undefined;
  const pageText = queryValue(req, '_page');
  const after = pageText !== undefined ? decodeToken(pageText) : undefined;

  const types = type ? [type] : ctx.servedTypes();
  const interaction = id ? 'read' : 'search';
  const rows: Row[] = [];
  // One query per type, in parallel, except inside a transaction (a bundle GET entry), whose session takes one
  // operation at a time.
  const each = async (t: string) => {
    const parts: Filter<HistoryDocument>[] = [];
    if (id) parts.push({ id });
    if (since) parts.push({ lu: { $gte: since } });
    if (after) {
      const lu = new Date(after[0]);
      if (t > after[1]) parts.push({ lu: { $lt: lu } });
      else {
        // For the page's own type the plain bound stands beside the $or, so a planner seeks the history index to
        // the page start instead of scanning every newer version first.
        parts.push({ lu: { $lte: lu } });
        if (t === after[1]) parts.push({ $or: [{ lu: { $lt: lu } }, { lu, _id: { $lt: after[2] } }] });
      }
    }
    // SMART v2: r covers instance history (like vread), s covers type- and system-level history (like search).
    if (!ctx.repo.policy.allows(t, interaction)) {
      if (type) ctx.repo.assertAllowed(t, interaction);
      return;
    }
    const docs = await ctx.repo.historyCursor(t, parts.length ? { $and: parts } : {}, count + 1).toArray();
    for (const doc of docs) rows.push({ type: t, doc });
  };
  if (ctx.repo.inTransactionNow) for (const t of types) await each(t);
  else await Promise.all(types.map(each));
  // An empty page may just be filtered by _since or _page; an id with no version at all is unknown (404).
  if (type && id && rows.length === 0 && !(await ctx.repo.historyCursor(type, { id }, 1).hasNext())) {
    throw notFound(`${type}/${id} is not known`);
  }
  rows.sort(compareRows);
  const page = rows.slice(0, count);

  const path = [type, id, '_history'].filter(Boolean).join('/');
  const base = new URLSearchParams(req.query.filter(([k]) => k !== '_page'));
  const link: Bundle['link'] = [{ relation: 'self', url: `${ctx.baseUrl}/${path}${req.query.length ? `?${new URLSearchParams(req.query)}` : ''}` }];
  if (count > 0 && rows.length > count) {
    const next = new URLSearchParams(base);
    next.set('_page', encodeToken(page[page.length - 1]));
    link.push({ relation: 'next', url: `${ctx.baseUrl}/${path}?${next}` });
  }
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'history',
    link,
    entry: page.map((r) => entry(ctx, r)),
  };
  return { status: 200, body: bundle };
}
