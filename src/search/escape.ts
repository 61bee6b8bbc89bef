/**
 * FHIR search value escaping (spec 3.1.1.5.7): `\,` `\$` `\|` and `\\` stand for the literal characters, so
 * values are split on unescaped separators first and unescaped last.
 */
export function splitUnescaped(raw: string, separator: ',' | '$' | '|', limit = Infinity): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    if (ch === '\\' && i + 1 < raw.length) {
      current += ch + raw[i + 1];
      i++;
    } else if (ch === separator && parts.length < limit - 1) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

export function unescapeValue(raw: string): string {
  return raw.replace(/\\([,$|\\])/g, '$1');
}

/** The search form of a literal value: the inverse of `unescapeValue`. */
export function escapeValue(value: string): string {
  return value.replace(/[\\,$|]/g, (ch) => `\\${ch}`);
}
