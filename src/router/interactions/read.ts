import type { HistoryDocument, StoredDocument } from '../../store/stored-document';
import type { RouterContext } from '../context';
import { parseETag, readResult } from '../respond';
import type { FhirRequest, FhirResult } from '../types';
import { badRequest } from '../../errors/operation-outcome-error';

/** 304 when the client's copy is current: If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2). */
export function notModified(req: FhirRequest, doc: StoredDocument | HistoryDocument): boolean {
  const inm = req.headers['if-none-match'];
  if (inm !== undefined) {
    if (inm.trim() === '*') return true;
    return inm.split(',').some((tag) => parseETag(tag) === doc.vid);
  }
  const ims = req.headers['if-modified-since'];
  if (ims !== undefined) {
    const since = Date.parse(ims);
    // HTTP dates have second precision; compare at that precision.
    if (!Number.isNaN(since)) return Math.floor(doc.lu.getTime() / 1000) * 1000 <= since;
  }
  return false;
}

/** read: GET [type]/[id] (spec 3.1.0.2) */
export async function read(ctx: RouterContext, req: FhirRequest, type: string, id: string): Promise<FhirResult> {
  const doc = await ctx.repo.read(type, id);
  if (notModified(req, doc)) return { status: 304, headers: { ETag: `W/"${doc.vid}"` } };
  return readResult(req, doc);
}

/** vread: GET [type]/[id]/_history/[vid] (spec 3.1.0.3) */
export async function vread(ctx: RouterContext, req: FhirRequest, type: string, id: string, vidText: string): Promise<FhirResult> {
  if (!/^\d{1,15}$/.test(vidText)) throw badRequest(`"${vidText}" is not a version id of this server`);
  const doc = await ctx.repo.vread(type, id, Number(vidText));
  if (notModified(req, doc)) return { status: 304, headers: { ETag: `W/"${doc.vid}"` } };
  return readResult(req, doc);
}
