import type { Bundle, BundleEntry, BundleLink, OperationOutcome, OperationOutcomeIssue, Resource } from 'fhir/r4';
import { badRequest } from '../errors/operation-outcome-error';
import { decodeToken, encodeToken } from '../search/paging';
import { AccessTrace } from '../store/access-trace';
import type { Repository } from '../store/repository';
import type { StoredDocument } from '../store/stored-document';
import { fetchReferenced, referencesOf, SentReferences } from './referenced';
import { positionKeys, positionOf, walkPage, type WalkPlan, type WalkPosition } from './record-walk';

/**
 * One page of a walk of patient records as a searchset Bundle: the walked resources it returns (`match`), then the
 * resources they reference that belong to no patient and were not sent before (`include`), and a `next` link whose
 * `_cursor` holds the walk's position and the referenced resources sent so far.
 */

export interface RecordPageRequest {
  plan: WalkPlan;
  count: number;
  /** `_cursor` of a `next` link, when this is not the first page. */
  cursor?: string;
  /** Are resources of `type` that the page references returned (`_type`)? False for all: none are looked up. */
  emitsReferenced(type: string): boolean;
  /** Public base URL, the operation's path below it and the query its links repeat (without `_cursor`). */
  baseUrl: string;
  path: string;
  linkQuery: Array<[string, string]>;
  /** Warnings for an outcome entry (parameters ignored, `_count` reduced). */
  notes: OperationOutcomeIssue[];
}

/** The walk position a `_cursor` holds, 400 when it is not one of this request's (another patient's). */
function cursorPosition(raw: string, plan: WalkPlan): { position: WalkPosition; state?: string } {
  const token = decodeToken(raw, 3);
  const position = positionOf(token.keys);
  if (!position || token.backwards || (plan.patient !== undefined && position.patient !== plan.patient)) {
    throw badRequest('_cursor does not belong to this request', '_cursor');
  }
  return { position, state: token.state };
}

function entryOf(baseUrl: string, type: string, doc: StoredDocument, resource: Resource, mode: 'match' | 'include'): BundleEntry {
  return { fullUrl: `${baseUrl}/${type}/${doc._id}`, resource, search: { mode } };
}

function link(req: RecordPageRequest, relation: string, cursor?: string): BundleLink {
  const query = new URLSearchParams(cursor ? [...req.linkQuery, ['_cursor', cursor]] : req.linkQuery).toString();
  return { relation, url: `${req.baseUrl}/${req.path}${query ? `?${query}` : ''}` };
}

export async function recordPage(repo: Repository, req: RecordPageRequest): Promise<Bundle> {
  const from = req.cursor ? cursorPosition(req.cursor, req.plan) : undefined;
  const sent = new SentReferences(from?.state);
  // Reads whose results are not returned (resources walked only for their references, the next patient's id) are
  // not recorded in the request's trace: the audit trail names what left the server.
  const quiet = repo.as(repo.policy, new AccessTrace());
  const walk = await walkPage(repo, quiet, req.plan, from?.position, req.count);

  const entry: BundleEntry[] = [];
  const refs: string[] = [];
  for (const row of walk.rows) {
    const resource = JSON.parse(row.doc.r) as Resource;
    if (row.emitted) entry.push(entryOf(req.baseUrl, row.type, row.doc, resource, 'match'));
    refs.push(...referencesOf(resource, req.baseUrl));
  }
  for (const row of await fetchReferenced(repo, refs, sent, req.emitsReferenced, (t) => req.plan.filter(t))) {
    entry.push(entryOf(req.baseUrl, row.type, row.doc, JSON.parse(row.doc.r) as Resource, 'include'));
  }
  const links = [link(req, 'self', req.cursor)];
  if (walk.next) links.push(link(req, 'next', encodeToken({ keys: positionKeys(walk.next), backwards: false, state: sent.encode() })));
  return searchset(links, entry, req.notes);
}

/** A searchset Bundle of `entry`, with an outcome entry for `notes` when there are any. */
export function searchset(link: BundleLink[], entry: BundleEntry[], notes: readonly OperationOutcomeIssue[]): Bundle {
  if (notes.length) {
    const outcome: OperationOutcome = { resourceType: 'OperationOutcome', issue: [...notes] };
    entry.push({ resource: outcome, search: { mode: 'outcome' } });
  }
  return { resourceType: 'Bundle', type: 'searchset', meta: { lastUpdated: new Date().toISOString() }, link, ...(entry.length ? { entry } : {}) };
}
