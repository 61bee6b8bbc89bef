import type { Patient } from 'fhir/r4';

/** Shorter strings (a family name "Li") would redact too much of unrelated text. */
const MIN_LENGTH = 3;

/**
 * The strings that name a patient in free text, from its Patient resource: each name's text, family name, and given
 * names with the family name; each identifier's value; each telecom value. Given names alone are left out ("John"
 * would redact every John).
 */
export function identifyingText(patient: Patient): string[] {
  const out = new Set<string>();
  for (const n of patient.name ?? []) {
    if (n.text) out.add(n.text);
    if (n.family) {
      out.add(n.family);
      if (n.given?.length) out.add(`${n.given.join(' ')} ${n.family}`);
    }
  }
  for (const i of patient.identifier ?? []) if (i.value) out.add(i.value);
  for (const t of patient.telecom ?? []) if (t.value) out.add(t.value);
  return [...out].filter((s) => s.trim().length >= MIN_LENGTH);
}

/** What replaces a patient's name or identifier in the free text of a shared resource that stays. */
export const REDACTED = '[redacted]';

/** A function that redacts `needles` (case-insensitive, whole words) in a text; undefined when there are none. */
export function redactor(needles: readonly string[]): ((text: string) => string) | undefined {
  if (needles.length === 0) return undefined;
  // Longest first, so a full name goes before the family name inside it.
  const alternatives = [...needles].sort((a, b) => b.length - a.length).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}])(?:${alternatives.join('|')})(?![\\p{L}\\p{N}])`, 'giu');
  return (text) => text.replace(pattern, REDACTED);
}
