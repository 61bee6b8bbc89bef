/** What JSON.stringify escapes in a string: quote, backslash, control characters, lone surrogates (any surrogate here). */
const ESCAPED = /["\\\u0000-\u001f\ud800-\udfff]/;

/** `JSON.stringify(text)`, without its call where nothing needs escaping (almost every string of an event). */
function quoted(text: string): string {
  return ESCAPED.test(text) ? JSON.stringify(text) : `"${text}"`;
}

/**
 * RFC 8785 canonical JSON of the audit trail's events, the text their chain hash covers: the same text as the
 * `json-canonicalize` package's `canonicalize` (members sorted by UTF-16 code units, undefined members left out,
 * undefined array items as null, holes skipped, strings, numbers and objects with `toJSON` as `JSON.stringify` writes
 * them, non-finite numbers refused), which the trail used before and the rest of the server still uses. That package
 * tracks the path of every value it visits (to name a cycle) and calls JSON.stringify for every name and string: about
 * half its time on an audit event. The trail's events are JSON data, which cannot hold a cycle, so this walk does
 * without (a cyclic value overflows the stack instead of being named). test/audit/canonical-json.test.ts holds the
 * two to the same text.
 */
export function canonicalJson(value: unknown): string {
  if (typeof value === 'string') return quoted(value);
  if (value === null || typeof value !== 'object' || (value as { toJSON?: unknown }).toJSON != null) {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new Error(`Non-finite number (${value}) is not permitted in JSON (RFC 8785 §3.2.2.3)`);
    }
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      // A hole is skipped, as the package's forEach skips it.
      if (!(i in value)) continue;
      if (out.length > 1) out += ',';
      const item: unknown = value[i];
      out += item === undefined ? 'null' : canonicalJson(item);
    }
    return out + ']';
  }
  const object = value as Record<string, unknown>;
  let out = '{';
  let next = false;
  for (const key of Object.keys(object).sort()) {
    const member = object[key];
    if (member === undefined) continue;
    if (next) out += ',';
    next = true;
    out += `${quoted(key)}:${canonicalJson(member)}`;
  }
  return out + '}';
}
