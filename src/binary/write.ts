import type { Binary } from 'fhir/r4';
import { badRequest } from '../errors/operation-outcome-error';
import type { RouterContext } from '../router/context';
import { create } from '../router/interactions/create';
import { ifMatchVersion, update } from '../router/interactions/update';
import { locationHeader, writeResult } from '../router/respond';
import { isRawBody, type FhirRequest, type FhirResult, type RawBody } from '../router/types';
import type { BinaryBytes } from './byte-store';

const LOCAL_REFERENCE = /^[A-Z][A-Za-z]{1,63}\/[A-Za-z0-9\-.]{1,64}$/;

/** `X-Security-Context` (R4 Binary): a reference to a resource of this server, relative or under its base URL. */
function securityContext(ctx: RouterContext, req: FhirRequest): Pick<Binary, 'securityContext'> {
  const header = req.headers['x-security-context']?.trim();
  if (header === undefined || header === '') return {};
  const reference = header.startsWith(`${ctx.baseUrl}/`) ? header.slice(ctx.baseUrl.length + 1) : header;
  if (!LOCAL_REFERENCE.test(reference)) throw badRequest(`X-Security-Context must name a resource of this server (Type/id), got "${header}"`);
  return { securityContext: { reference } };
}

/**
 * create (POST Binary) and update (PUT Binary/[id]) of a Binary sent as its raw content (R4 3.1.0.1.4): the media
 * type becomes `contentType`, `X-Security-Context` the `securityContext`, and the bytes are streamed into GridFS,
 * then stored as the version's in the transaction that writes it. Checked (grants, the resource, If-Match's form)
 * before a byte is read. A Binary sent as FHIR JSON takes the ordinary create and update.
 */
export async function writeBinary(bytes: BinaryBytes, ctx: RouterContext, req: FhirRequest, id?: string): Promise<FhirResult> {
  if (!isRawBody(req.body)) return id === undefined ? create(ctx, req, 'Binary') : update(ctx, req, 'Binary', id);
  const body: RawBody = req.body;
  ctx.repo.assertAllowed('Binary', id === undefined ? 'create' : 'update');
  const resource: Binary = { resourceType: 'Binary', ...(id === undefined ? {} : { id }), contentType: body.contentType, ...securityContext(ctx, req) };
  const ifMatch = id === undefined ? undefined : ifMatchVersion(req);
  await ctx.validation.assertValid(resource, ctx.repo, id === undefined ? 'create' : 'update');
  const upload = await bytes.upload(body.stream, body.limit);
  try {
    const { doc, created } = await ctx.repo.inTransaction(async (tx) => {
      const written = id === undefined ? await tx.create('Binary', resource) : await tx.update('Binary', id, resource, { ifMatch });
      await bytes.link(upload, written.doc._id, written.doc.vid, tx.sessionOptions);
      return written;
    });
    const headers: Record<string, string> = created ? { Location: locationHeader(ctx.baseUrl, 'Binary', doc, doc._id) } : {};
    return writeResult(req, created ? 201 : 200, doc, headers, `${created ? 'Created' : 'Updated'} Binary/${doc._id} (${upload.size} bytes)`);
  } catch (err) {
    await bytes.discard(upload);
    throw err;
  }
}
