import type { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { badRequest, tooLarge, unsupportedMediaType } from '../errors/operation-outcome-error';
import type { Route } from '../router/route';
import type { RawBody } from '../router/types';
import { MAX_STRING_BYTES, unlimitedStringKeys } from '../validation';
import { countKeys, firstDuplicateKey, scanJsonText } from './json-text';

/**
 * Resources nest a few dozen elements deep at most (an extension nested 60 deep is unusual but valid); far deeper
 * input is an attack on recursive code downstream. Counted as FHIR nests (see json-text.ts), not per JSON bracket.
 */
export const MAX_JSON_DEPTH = 100;

/**
 * R4 limits a string to 1 MB (validation's MAX_STRING_BYTES); refused here by its length in the text, before it is
 * parsed and copied.
 */
const MAX_STRING_CHARS = MAX_STRING_BYTES;

const JSON_TYPES = new Set(['application/fhir+json', 'application/json', 'application/json-patch+json']);
const FORM = 'application/x-www-form-urlencoded';

export function mediaType(header: string | undefined): string | undefined {
  if (!header) return undefined;
  return header.split(';')[0].trim().toLowerCase() || undefined;
}

/**
 * Turns a raw request body into what the router expects: a parsed JSON value, or ordered form pairs for
 * POST _search. Anything unparseable is 400; a media type we do not speak is 415.
 */
export function parseBody(raw: Buffer | undefined, contentType: string | undefined, limit: number): unknown {
  if (!raw || raw.length === 0) return undefined;
  if (raw.length > limit) throw tooLarge(`The body exceeds the limit of ${limit} bytes`);
  const type = mediaType(contentType);
  if (type === FORM) return [...new URLSearchParams(raw.toString('utf8'))];
  if (type !== undefined && !JSON_TYPES.has(type)) {
    throw unsupportedMediaType(`Content-Type ${type} is not supported; send application/fhir+json`);
  }
  const text = raw.toString('utf8');
  const members = scanJsonText(text, {
    maxNesting: MAX_JSON_DEPTH,
    // A JSON Patch carries values without their element names: the resource it produces is validated instead.
    maxStringChars: type === 'application/json-patch+json' ? Infinity : MAX_STRING_CHARS,
    unlimitedKeys: unlimitedStringKeys,
  });
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (err) {
    throw badRequest(`The body is not valid JSON: ${(err as Error).message}`);
  }
  if (countKeys(value) !== members) {
    const key = firstDuplicateKey(text);
    throw badRequest(`The body has the key "${key ?? '?'}" twice in one object: JSON keys must be unique`);
  }
  return value;
}

/**
 * The body as a route reads it: FHIR content (`parseBody`), or an OAuth form kept as its ordered pairs, where any
 * other media type counts as an empty form (the token endpoint then answers `invalid_request`).
 */
export function parseRouteBody(kind: 'fhir' | 'form', raw: Buffer | undefined, contentType: string | undefined, limit: number): unknown {
  if (kind === 'fhir') return parseBody(raw, contentType, limit);
  if (raw && raw.length > limit) throw tooLarge(`The body exceeds the limit of ${limit} bytes`);
  return raw && mediaType(contentType) === FORM ? [...new URLSearchParams(raw.toString('utf8'))] : [];
}

/** Media types a raw route (Binary) still reads as FHIR content; XML is then refused (415) as anywhere. */
const FHIR_CONTENT = new Set(['application/fhir+json', 'application/json', 'application/fhir+xml', 'application/xml+fhir']);

/** Is this a body a raw route takes unread: a POST or PUT of anything but FHIR content (R4 3.1.0.1.4)? */
export function streamsBody(route: Pick<Route, 'raw'> | undefined, method: string, contentType: string | undefined): boolean {
  if (!route?.raw || (method !== 'POST' && method !== 'PUT')) return false;
  const type = mediaType(contentType);
  return type === undefined || !FHIR_CONTENT.has(type);
}

/** The request's bytes as a RawBody; a declared length over the limit is 413 before any byte is read. */
export function rawBodyOf(req: IncomingMessage & Readable, limit: number): RawBody {
  const declared = req.headers['content-length'];
  const length = declared !== undefined && /^\d+$/.test(declared) ? Number(declared) : undefined;
  if (length !== undefined && length > limit) throw tooLarge(`The body of ${length} bytes exceeds the limit of ${limit} bytes`);
  return { stream: req, contentType: req.headers['content-type']?.trim() || 'application/octet-stream', limit, length };
}
