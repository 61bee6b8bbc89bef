import type { KeyPart, MatchConfig } from './config';
import type { MatchFeatures } from './features';
import { nicknamesOf } from './nickname-lookup';
import { fullDate, phoneticCodes, unorderedDate } from './normalize';

/**
 * Blocking keys: the index entries under which a Patient is found as a candidate. Two Patients are compared only
 * when they share a key, so a key must survive the errors duplicates carry (a typo keeps the phonetic code, a
 * nickname keeps the canonical name, swapped day and month keep the unordered date) while staying rare enough
 * that its block is small.
 */

/** Values of one part of a key; none means the key cannot be formed. */
function partValues(part: KeyPart, f: MatchFeatures, config: MatchConfig): string[] {
  switch (part) {
    case 'family-phonetic':
      return f.families.flatMap(phoneticCodes);
    case 'given-phonetic': {
      const nicknames = nicknamesOf(config.nicknameGroups);
      return f.givens.flatMap((g) => nicknames.canonical(g)).flatMap(phoneticCodes);
    }
    case 'birthdate':
      return optional(fullDate(f.birthDate));
    case 'birthdate-unordered':
      return optional(unorderedDate(f.birthDate));
    case 'birth-year':
      return optional(f.birthDate ? String(f.birthDate.year) : undefined);
    case 'gender':
      return optional(f.gender);
    case 'identifier':
      return f.identifiers.map((i) => `${i.system}|${i.value}`);
    case 'phone':
      return f.phones;
    case 'email':
      return f.emails;
    case 'postal-code':
      return f.addresses.map((a) => a.postalCode).filter(Boolean);
  }
}

const optional = (v: string | undefined) => (v ? [v] : []);

/** A key definition yields at most this many keys for one Patient (every combination of its parts' values). */
const MAX_KEYS_PER_DEFINITION = 64;

/** The Patient's blocking keys, `name:value|value`, unique and sorted. */
export function blockingKeys(f: MatchFeatures, config: MatchConfig): string[] {
  const keys = new Set<string>();
  for (const def of config.keys) {
    let combos: string[][] = [[]];
    for (const part of def.parts) {
      const values = [...new Set(partValues(part, f, config))];
      combos = combos.flatMap((c) => values.map((v) => [...c, v])).slice(0, MAX_KEYS_PER_DEFINITION);
    }
    for (const c of combos) if (c.length === def.parts.length) keys.add(`${def.name}:${c.join('|')}`);
  }
  return [...keys].sort();
}
