import type { ServerResponse } from 'node:http';

/**
 * Text for HTTP response headers. Node refuses (and the server would answer 500 for) any header value holding a
 * character beyond Latin-1 or a control character, and CR/LF would split the header; a proxy may refuse very long
 * ones. Every header value built from text a client chose (a token's unverified claims, an id, a parameter) goes
 * through here: printable ASCII is kept, anything else becomes `?`.
 */
export function headerText(value: string): string {
  return value.replace(/[^\x20-\x7e\t]/g, '?');
}

/** Sets every header of `headers` on `res`, each value through headerText. */
export function setHeaders(res: Pick<ServerResponse, 'setHeader'>, headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, headerText(value));
}

const MAX_QUOTED = 200;

/**
 * An RFC 9110 quoted-string (as in `error_description="..."` of a Bearer challenge): header-safe, without quotes or
 * backslashes (which would end or escape it), and cut to a length any proxy passes.
 */
export function quotedHeaderText(value: string): string {
  const safe = headerText(value).replace(/["\\]/g, "'");
  return safe.length > MAX_QUOTED ? `${safe.slice(0, MAX_QUOTED - 3)}...` : safe;
}
