import { OperationOutcomeError, issue } from '../errors/operation-outcome-error';

const FHIR_JSON = 'application/fhir+json';

/**
 * Content negotiation (spec 3.1.0.1.4 / 2.1.0.7): JSON only. `_format` overrides Accept. Returns the media type to
 * answer with; XML and other formats are 406 Not Acceptable.
 */
export function responseMediaType(accept: string | undefined, format: string | undefined): string {
  if (format !== undefined) {
    if (['json', 'application/json', 'application/fhir+json'].includes(format)) {
      return format === 'application/json' ? 'application/json' : FHIR_JSON;
    }
    throw notAcceptable(`_format=${format} is not supported; this server speaks JSON`);
  }
  if (!accept) return FHIR_JSON;
  const types = accept.split(',').map((t) => t.split(';')[0].trim().toLowerCase());
  if (types.some((t) => t === FHIR_JSON || t === '*/*' || t === 'application/*' || t === 'application/fhir+ndjson')) {
    return FHIR_JSON;
  }
  if (types.includes('application/json')) return 'application/json';
  throw notAcceptable(`Accept: ${accept} cannot be served; this server speaks application/fhir+json`);
}

/**
 * Does a client reading a route that also answers raw content (Binary) want it raw? Yes unless `_format` or Accept
 * names FHIR JSON (R4 3.1.0.1.4: native content "when the Accept header is not a FHIR content type"), so no Accept
 * and `*\/*` get the bytes too. FHIR XML is 406 as on every route.
 */
export function wantsRaw(accept: string | undefined, format: string | undefined): boolean {
  if (format !== undefined) {
    responseMediaType(undefined, format);
    return false;
  }
  const types = (accept ?? '').split(',').map((t) => t.split(';')[0].trim().toLowerCase());
  if (types.some((t) => t === FHIR_JSON || t === 'application/json')) return false;
  if (types.some((t) => t === 'application/fhir+xml' || t === 'application/xml+fhir')) {
    throw notAcceptable(`Accept: ${accept} cannot be served; this server speaks application/fhir+json`);
  }
  return true;
}

/**
 * Does the client ask a route that offers a printable page for HTML: `_format=html` (or `text/html`), or an Accept whose
 * most preferred type (by q-value, then order) is text/html or application/xhtml+xml, as a browser's is?
 */
export function wantsHtml(accept: string | undefined, format: string | undefined): boolean {
  if (format !== undefined) return format === 'html' || format === 'text/html';
  const ranked = (accept ?? '')
    .split(',')
    .map((part, i) => {
      const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
      const q = Number(params.find((p) => p.startsWith('q='))?.slice(2) ?? 1);
      return { type, q: Number.isFinite(q) ? q : 0, i };
    })
    .filter((t) => t.type && t.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  return ranked.length > 0 && (ranked[0].type === 'text/html' || ranked[0].type === 'application/xhtml+xml');
}

function notAcceptable(message: string): OperationOutcomeError {
  return new OperationOutcomeError('not-acceptable', [issue('not-supported', message)]);
}

/**
 * The media type of what an HTTP-only route answers without one of its own (bulk status and cancel, and every such
 * route's OperationOutcome on error): `application/json` for a client that accepts it and not FHIR JSON, as a Bulk
 * Data client polling for its application/json manifest does; FHIR JSON otherwise. Never 406: these routes are not
 * FHIR content, so they answer whatever the client says it accepts.
 */
export function outcomeMediaType(accept: string | undefined): string {
  const types = (accept ?? '').split(',').map((t) => t.split(';')[0].trim().toLowerCase());
  return types.includes('application/json') && !types.includes(FHIR_JSON) ? 'application/json' : FHIR_JSON;
}
