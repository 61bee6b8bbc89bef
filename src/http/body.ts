import { badRequest, tooLarge, unsupportedMediaType } from '../errors/operation-outcome-error';

/** Resources nest a few dozen levels at most; far deeper input is an attack on recursive code downstream. */
export const MAX_JSON_DEPTH = 100;

const JSON_TYPES = new Set(['application/fhir+json', 'application/json', 'application/json-patch+json']);
const FORM = 'application/x-www-form-urlencoded';

export function mediaType(header: string | undefined): string | undefined {
  if (!header) return undefined;
  return header.split(';')[0].trim().toLowerCase() || undefined;
}

/** Scans JSON text for nesting depth without recursion (strings skipped, escapes honoured). */
function checkDepth(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 92 /* \ */) i++;
      else if (ch === 34 /* " */) inString = false;
    } else if (ch === 34) inString = true;
    else if (ch === 123 || ch === 91) {
      if (++depth > MAX_JSON_DEPTH) throw badRequest(`The JSON body nests deeper than ${MAX_JSON_DEPTH} levels`);
    } else if (ch === 125 || ch === 93) depth--;
  }
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
  checkDepth(text);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw badRequest(`The body is not valid JSON: ${(err as Error).message}`);
  }
}
