import type { Resource } from 'fhir/r4';
import { badRequest, outcome, issue } from '../errors/operation-outcome-error';
import type { HistoryDocument, StoredDocument } from '../store/stored-document';
import { parseElements, parseSummary, subset } from './subsetting';
import type { FhirRequest, FhirResult } from './types';

export function queryValue(req: FhirRequest, name: string): string | undefined {
  for (const [k, v] of req.query) if (k === name) return v;
  return undefined;
}

export function versionHeaders(doc: Pick<StoredDocument, 'vid' | 'lu'>): Record<string, string> {
  return { ETag: `W/"${doc.vid}"`, 'Last-Modified': doc.lu.toUTCString() };
}

export function locationHeader(baseUrl: string, type: string, doc: Pick<StoredDocument, 'vid'>, id: string) {
  return `${baseUrl}/${type}/${id}/_history/${doc.vid}`;
}

/** The stored text as the body, or a subset of it when `_summary`/`_elements` ask for one. */
export function storedBody(req: FhirRequest, text: string): FhirResult['body'] {
  const summary = parseSummary(queryValue(req, '_summary'));
  // Counting applies to a set of matches; answering a read with the whole resource would pass for it silently.
  if (summary === 'count') throw badRequest('_summary=count applies to searches, not to reading one resource', '_summary');
  const elements = parseElements(queryValue(req, '_elements'));
  if ((!summary || summary === 'false') && !elements) return { json: text };
  return subset(JSON.parse(text) as Resource, summary, elements);
}

/** A read/vread response for a stored version. */
export function readResult(req: FhirRequest, doc: StoredDocument | HistoryDocument): FhirResult {
  return { status: 200, headers: versionHeaders(doc), body: storedBody(req, doc.r) };
}

/**
 * The response to a create/update/patch, honouring `Prefer: return=minimal | representation | OperationOutcome`
 * (spec 3.1.0.8.4). Default is the representation.
 */
export function writeResult(
  req: FhirRequest,
  status: number,
  doc: Pick<StoredDocument, 'vid' | 'lu' | 'r'>,
  headers: Record<string, string>,
  message: string,
): FhirResult {
  const prefer = preferReturn(req);
  const all = { ...versionHeaders(doc), ...headers };
  if (prefer === 'minimal') return { status, headers: all };
  if (prefer === 'OperationOutcome') {
    return { status, headers: all, body: outcome([issue('informational', message, undefined, 'information')]) };
  }
  return { status, headers: all, body: { json: doc.r, lastUpdated: doc.lu.toISOString() } };
}

export function preferReturn(req: FhirRequest): 'minimal' | 'representation' | 'OperationOutcome' | undefined {
  const m = /(?:^|[;,\s])return=(minimal|representation|OperationOutcome)\b/.exec(req.headers['prefer'] ?? '');
  return m ? (m[1] as 'minimal' | 'representation' | 'OperationOutcome') : undefined;
}

export function preferHandling(req: FhirRequest): 'strict' | 'lenient' | undefined {
  const m = /(?:^|[;,\s])handling=(strict|lenient)\b/.exec(req.headers['prefer'] ?? '');
  return m ? (m[1] as 'strict' | 'lenient') : undefined;
}

/** Parses `W/"3"`, `"3"` or `3` into a version number; anything else is not a version this server issued. */
export function parseETag(value: string | undefined): number | undefined | null {
  if (value === undefined || value === '') return undefined;
  const m = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(value);
  return m ? Number(m[1]) : null;
}
