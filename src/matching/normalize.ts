import { doubleMetaphone } from 'double-metaphone';

/**
 * The normal forms the matcher compares and builds blocking keys from. Each is a pure function of one value, so a
 * Patient indexed at save time and a `$match` input are normalised the same way.
 */

/** Letters a-z and single spaces: accents dropped (José -> jose), digits dropped (Synthea's `Ferry570`), case folded. */
export function normalName(text: string | undefined): string {
  if (!text) return '';
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z\s-]/g, '')
    .replace(/[\s-]+/g, ' ')
    .trim();
}

/** A name as one token for comparison: `Mc Donald`, `McDonald` and `Mc-Donald` are the same name. */
export const compactName = (name: string): string => name.replace(/ /g, '');

/** Names repeat across a population: their codes are kept (up to this many names, then the memo starts afresh). */
const PHONETIC_MEMO_SIZE = 50_000;
const phoneticMemo = new Map<string, readonly string[]>();

/** Double Metaphone codes of a normalised name (primary, and secondary when it differs); none for an empty name. */
export function phoneticCodes(name: string): readonly string[] {
  const compact = compactName(name);
  if (!compact) return [];
  let codes = phoneticMemo.get(compact);
  if (!codes) {
    const [primary, secondary] = doubleMetaphone(compact);
    codes = [...new Set([primary, secondary].filter((c) => c.length > 0))];
    if (phoneticMemo.size >= PHONETIC_MEMO_SIZE) phoneticMemo.clear();
    phoneticMemo.set(compact, codes);
  }
  return codes;
}

/** A birth date as its parts; a partial date (`1970`, `1970-04`) leaves the rest undefined. */
export interface DateParts {
  year: number;
  month?: number;
  day?: number;
}

export function dateParts(text: string | undefined): DateParts | undefined {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?/.exec(text ?? '');
  if (!m) return undefined;
  return { year: Number(m[1]), month: m[2] ? Number(m[2]) : undefined, day: m[3] ? Number(m[3]) : undefined };
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `YYYY-MM-DD` of a full date, else undefined. */
export function fullDate(d: DateParts | undefined): string | undefined {
  return d?.month !== undefined && d.day !== undefined ? `${d.year}-${pad(d.month)}-${pad(d.day)}` : undefined;
}

/**
 * A full date with day and month in ascending order (`1970-04-12` and `1970-12-04` both give `1970-04-12`): one
 * blocking key finds a record whose day and month were entered the wrong way round.
 */
export function unorderedDate(d: DateParts | undefined): string | undefined {
  if (d?.month === undefined || d.day === undefined) return undefined;
  const [a, b] = d.month <= d.day ? [d.month, d.day] : [d.day, d.month];
  return `${d.year}-${pad(a)}-${pad(b)}`;
}

/** The last 10 digits of a phone number (a national number without its country prefix), or '' with fewer than 7. */
export function normalPhone(text: string | undefined): string {
  const digits = (text ?? '').replace(/\D/g, '');
  return digits.length >= 7 ? digits.slice(-10) : '';
}

export const normalEmail = (text: string | undefined): string => (text ?? '').trim().toLowerCase();

/** US ZIP+4 and ZIP are the same place for matching: the first five characters, spaces dropped, case folded. */
export const normalPostalCode = (text: string | undefined): string => (text ?? '').replace(/\s/g, '').toLowerCase().slice(0, 5);

/**
 * An address line reduced to what survives retyping: letters and digits, each word replaced by its abbreviation
 * when `abbreviations` has one (`123 Main Street Apt. 4` and `123 main st apt 4` are the same line).
 */
export function normalAddressLine(text: string | undefined, abbreviations: Readonly<Record<string, string>>): string {
  return (text ?? '')
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean)
    .map((w) => abbreviations[w] ?? w)
    .join(' ');
}
