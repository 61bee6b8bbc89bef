import type { Binary } from 'fhir/r4';
import { buffer } from 'node:stream/consumers';
import { OperationOutcomeError, badRequest, issue } from '../errors/operation-outcome-error';
import { partialContentHeaders, requestedRange } from '../http/byte-range';
import type { RouterContext } from '../router/context';
import { notModified } from '../router/interactions/read';
import { readResult, versionHeaders } from '../router/respond';
import type { FhirRequest, FhirResult } from '../router/types';
import type { HistoryDocument, StoredDocument } from '../store/stored-document';
import type { BinaryBytes, StoredBytes } from './byte-store';
import { bytesOf, contentOf } from './content';

export interface BinaryReadOptions {
  bytes: BinaryBytes;
  /** Most bytes a FHIR JSON answer carries as base64 `data` (3/4 of BODY_LIMIT: what a client could have written so). */
  jsonLimit: number;
}

/**
 * read and vread of a Binary (R4 3.1.0.1.4 and Binary): the content in its own media type when the client accepts
 * no FHIR format (`req.format === 'raw'`), with Range answered by 206; otherwise the Binary resource with its bytes
 * as base64 `data`. Access is the repository's, as for any read: the securityContext target decides.
 */
export async function readBinary(opts: BinaryReadOptions, ctx: RouterContext, req: FhirRequest, id: string, vidText?: string): Promise<FhirResult> {
  if (vidText !== undefined && !/^\d{1,15}$/.test(vidText)) throw badRequest(`"${vidText}" is not a version id of this server`);
  const doc: StoredDocument | HistoryDocument = vidText === undefined ? await ctx.repo.read('Binary', id) : await ctx.repo.vread('Binary', id, Number(vidText));
  if (notModified(req, doc)) return { status: 304, headers: { ETag: `W/"${doc.vid}"` } };
  const binary = JSON.parse(doc.r) as Binary;
  const content = await contentOf(opts.bytes, binary, id, doc.vid, ctx.repo.sessionOptions);
  if (req.format === 'raw') return rawAnswer(req, doc, binary, content);
  if (binary.data !== undefined || !content) return readResult(req, doc);
  if (content.size > opts.jsonLimit) {
    throw new OperationOutcomeError('not-acceptable', [
      issue(
        'too-costly',
        `Binary/${id} holds ${content.size} bytes, more than the ${opts.jsonLimit} a FHIR JSON answer inlines as base64; ` +
          `ask for the bytes themselves (Accept: ${binary.contentType ?? '*/*'})`,
      ),
    ]);
  }
  const data = (await buffer(content.read())).toString('base64');
  return readResult(req, { ...doc, r: JSON.stringify({ ...binary, data }) });
}

/** The bytes in the Binary's media type: whole (200) or the one range asked for (206); 416 beyond the end. */
function rawAnswer(req: FhirRequest, doc: Pick<StoredDocument, 'vid' | 'lu'>, binary: Binary, content: StoredBytes = bytesOf(Buffer.alloc(0))): FhirResult {
  const headers: Record<string, string> = { ...versionHeaders(doc), 'Accept-Ranges': 'bytes' };
  const contentType = binary.contentType ?? 'application/octet-stream';
  const range = requestedRange(req.headers, content.size);
  if (range) return { status: 206, headers: { ...headers, ...partialContentHeaders(range, content.size) }, contentType, body: { stream: content.read(range) } };
  return { status: 200, headers: { ...headers, 'Content-Length': String(content.size) }, contentType, body: { stream: content.read() } };
}
