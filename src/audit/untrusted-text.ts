/**
 * Text the audit trail stores. Every string of an event is made well-formed UTF-16 before the event is indexed,
 * chained and stored, and text from outside the server's control (an unverified `iss`, a refused request's URL,
 * an error message quoting either) is also bounded and stripped of control characters.
 *
 * Why well-formed: a lone surrogate ("\ud800") has no UTF-8 encoding. BSON stores it as U+FFFD in the search
 * fields while the event's JSON keeps the escape, so the stored index no longer matches the event, and RFC 8785
 * leaves its canonical form undefined. The trail therefore replaces each lone surrogate with U+FFFD (what
 * `String.prototype.toWellFormed` and every UTF-8 encoder do) before anything else sees the event: what is hashed,
 * indexed and stored is then the same text.
 */
const LONE_SURROGATE = /\p{Cs}/u;
const LONE_SURROGATES = /\p{Cs}/gu;
/** C0 and C1 controls and DEL: terminal escapes, CR/LF log injection, NUL. */
const CONTROLS = /\p{Cc}/gu;
const CONTROLS_BUT_LINE_BREAKS = /[^\P{Cc}\n\t]/gu;
const REPLACEMENT = '\ufffd';

export function wellFormed(text: string): string {
  return LONE_SURROGATE.test(text) ? text.replace(LONE_SURROGATES, REPLACEMENT) : text;
}

/** A JSON value with every string (member names included) made well-formed; the same object when nothing changes. */
export function wellFormedJson<T>(value: T): T {
  return fix(value) as T;
}

function fix(value: unknown): unknown {
  if (typeof value === 'string') return wellFormed(value);
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    value.forEach((item, i) => {
      const fixed = fix(item);
      if (fixed !== item) (out ??= [...value])[i] = fixed;
    });
    return out ?? value;
  }
  if (value && typeof value === 'object') {
    let changed = false;
    const entries = Object.entries(value).map(([k, v]) => {
      const pair = [wellFormed(k), fix(v)] as const;
      if (pair[0] !== k || pair[1] !== v) changed = true;
      return pair;
    });
    return changed ? Object.fromEntries(entries) : value;
  }
  return value;
}

/** At most `max` UTF-16 units, saying how much was cut; a surrogate pair cut in two becomes U+FFFD. */
function bounded(text: string, max: number): string {
  if (text.length <= max) return wellFormed(text);
  const note = ` [${text.length - max} more characters not recorded]`;
  return wellFormed(text.slice(0, max) + note);
}

/** An identifier claimed by a caller the server has not authenticated: one line, no controls, bounded. */
export function untrustedIdentifier(text: string, max = 128): string {
  return bounded(text, max).replace(CONTROLS, REPLACEMENT);
}

/** A description that may quote untrusted input: line breaks and tabs kept, other controls replaced, bounded. */
export function untrustedDescription(text: string, max = 1000): string {
  return bounded(text, max).replace(CONTROLS_BUT_LINE_BREAKS, REPLACEMENT);
}
