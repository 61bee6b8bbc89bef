import { jaroWinkler } from '@skyra/jaro-winkler';
import { distance } from 'fastest-levenshtein';
import type { Field, Grade, MatchConfig, Outcome } from './config';
import type { MatchFeatures } from './features';
import { nicknamesOf } from './nickname-lookup';
import { type DateParts, compactName, phoneticCodes } from './normalize';

/**
 * Weighted field comparison (Fellegi-Sunter style): each field present on both sides gives an outcome (exact,
 * similar, differ, ...) whose configured weight, in bits, is added to the evidence; a field missing on either side
 * adds nothing. The evidence becomes a score in 0..1 and a grade.
 */

export interface FieldResult {
  outcome: Outcome;
  bits: number;
}

export interface Comparison {
  /** 0..1, four decimals. */
  score: number;
  grade: Grade;
  /** The evidence in bits (sum of the fields' weights). */
  bits: number;
  /** Each field compared (present on both sides) and how. */
  fields: Partial<Record<Field, FieldResult>>;
  /** Fields that agree (any outcome but differ) and that differ, in configuration order. */
  agrees: Field[];
  differs: Field[];
}

type Comparator = (a: MatchFeatures, b: MatchFeatures, config: MatchConfig) => FieldResult | undefined;

/** The outcome of highest weight among those the pairs of values give (the best evidence the two records offer). */
function best<F extends Field>(field: F, outcomes: Iterable<Outcome<F>>, config: MatchConfig): FieldResult | undefined {
  const weights = config.weights[field] as Record<string, number>;
  let result: FieldResult | undefined;
  for (const outcome of outcomes) if (!result || weights[outcome] > result.bits) result = { outcome, bits: weights[outcome] };
  return result;
}

function* pairs<T>(as: readonly T[], bs: readonly T[]): Iterable<[T, T]> {
  for (const a of as) for (const b of bs) yield [a, b];
}

/**
 * Similar names: Jaro-Winkler at least `nameSimilarity` (transpositions, shared prefixes), one edit apart when both
 * have four letters or more (a letter dropped, added or mistyped mid-name, which Jaro-Winkler rates low in short
 * names), or the same primary Double Metaphone code (Catherine, Kathryn). Secondary codes serve blocking only: they
 * read a J as in Spanish, which makes Jean sound like Anna.
 */
const similarNames = (a: string, b: string, config: MatchConfig) =>
  jaroWinkler(a, b) >= config.nameSimilarity || (a.length >= 4 && b.length >= 4 && distance(a, b) === 1) || phoneticCodes(a)[0] === phoneticCodes(b)[0];

function familyOutcome(a: string, b: string, config: MatchConfig): Outcome<'family'> {
  const [ca, cb] = [compactName(a), compactName(b)];
  if (ca === cb) return 'exact';
  return similarNames(ca, cb, config) ? 'similar' : 'differ';
}

function givenOutcome(a: string, b: string, config: MatchConfig): Outcome<'given'> {
  if (a === b) return 'exact';
  if (nicknamesOf(config.nicknameGroups).equivalent(a, b)) return 'nickname';
  if ((a.length === 1 || b.length === 1) && a[0] === b[0]) return 'initial';
  return similarNames(a, b, config) ? 'similar' : 'differ';
}

function middleOutcome(a: string, b: string): Outcome<'middle'> {
  if (a === b) return 'exact';
  return (a.length === 1 || b.length === 1) && a[0] === b[0] ? 'initial' : 'differ';
}

/** Do two numbers differ by one mistyped digit (1962 and 1982, 07 and 01), as written in `width` digits? */
function oneDigitApart(x: number, y: number, width: number): boolean {
  const [a, b] = [String(x).padStart(width, '0'), String(y).padStart(width, '0')];
  return [...a].filter((ch, i) => ch !== b[i]).length === 1;
}

/**
 * Birth dates: exact; transposed (day and month swapped); near when the parts both sides have agree but one, and
 * that one is a single mistyped digit away (a junior born 25 years later is not near); else differ.
 */
function dateOutcome(a: DateParts, b: DateParts): Outcome<'birthDate'> {
  const full = a.month !== undefined && a.day !== undefined && b.month !== undefined && b.day !== undefined;
  const parts: Array<[number | undefined, number | undefined, number]> = [
    [a.year, b.year, 4],
    [a.month, b.month, 2],
    [a.day, b.day, 2],
  ];
  const differing = parts.filter(([x, y]) => x !== undefined && y !== undefined && x !== y);
  if (differing.length === 0) return full ? 'exact' : 'near';
  if (full && a.year === b.year && a.month === b.day && a.day === b.month) return 'transposed';
  return differing.length === 1 && oneDigitApart(differing[0][0] as number, differing[0][1] as number, differing[0][2]) ? 'near' : 'differ';
}

function addressOutcome(a: MatchFeatures['addresses'][number], b: MatchFeatures['addresses'][number]): Outcome<'address'> {
  const samePostal = !!a.postalCode && a.postalCode === b.postalCode;
  if (a.line && a.line === b.line && (samePostal || !a.postalCode || !b.postalCode)) return 'exact';
  return samePostal ? 'postalCode' : 'differ';
}

function sameOrDiffer(as: readonly string[], bs: readonly string[]): Outcome<'phone'> | undefined {
  if (!as.length || !bs.length) return undefined;
  return as.some((v) => bs.includes(v)) ? 'exact' : 'differ';
}

/** Identifiers: agreement in any system counts (most in a person's lifelong ones); a difference only in a system both carry. */
const identifier: Comparator = (a, b, config) => {
  const weightsOf = (system: string) => config.identifierSystems[system] ?? config.weights.identifier;
  let agree: number | undefined;
  let differ: number | undefined;
  for (const [x, y] of pairs(a.identifiers, b.identifiers)) {
    if (x.system !== y.system) continue;
    if (x.value === y.value) agree = Math.max(agree ?? -Infinity, weightsOf(x.system).exact);
    else if (!b.identifiers.some((i) => i.system === x.system && i.value === x.value)) differ = Math.min(differ ?? Infinity, weightsOf(x.system).differ);
  }
  if (agree !== undefined) return { outcome: 'exact', bits: agree };
  return differ !== undefined ? { outcome: 'differ', bits: differ } : undefined;
};

const COMPARATORS: Record<Field, Comparator> = {
  family: (a, b, c) =>
    best(
      'family',
      [...pairs(a.families, b.families)].map(([x, y]) => familyOutcome(x, y, c)),
      c,
    ),
  given: (a, b, c) =>
    best(
      'given',
      [...pairs(a.givens, b.givens)].map(([x, y]) => givenOutcome(x, y, c)),
      c,
    ),
  middle: (a, b, c) =>
    best(
      'middle',
      [...pairs(a.middles, b.middles)].map(([x, y]) => middleOutcome(x, y)),
      c,
    ),
  birthDate: (a, b, c) => (a.birthDate && b.birthDate ? best('birthDate', [dateOutcome(a.birthDate, b.birthDate)], c) : undefined),
  gender: (a, b, c) => (a.gender && b.gender ? best('gender', [a.gender === b.gender ? 'exact' : 'differ'], c) : undefined),
  address: (a, b, c) =>
    best(
      'address',
      [...pairs(a.addresses, b.addresses)].map(([x, y]) => addressOutcome(x, y)),
      c,
    ),
  phone: (a, b, c) =>
    best(
      'phone',
      [sameOrDiffer(a.phones, b.phones)].filter((o) => o !== undefined),
      c,
    ),
  email: (a, b, c) =>
    best(
      'email',
      [sameOrDiffer(a.emails, b.emails)].filter((o) => o !== undefined),
      c,
    ),
  identifier,
};

export function gradeOf(score: number, config: MatchConfig): Grade {
  const g = config.grades;
  return score >= g.certain ? 'certain' : score >= g.probable ? 'probable' : score >= g.possible ? 'possible' : 'certainly-not';
}

/** Compares two Patients' features: the score, its grade, and the fields behind it. Symmetric. */
export function compare(a: MatchFeatures, b: MatchFeatures, config: MatchConfig): Comparison {
  const fields: Comparison['fields'] = {};
  let bits = 0;
  for (const [field, comparator] of Object.entries(COMPARATORS) as Array<[Field, Comparator]>) {
    const r = comparator(a, b, config);
    if (!r) continue;
    fields[field] = r;
    bits += r.bits;
  }
  const score = Math.round(10_000 / (1 + 2 ** -(bits - config.offset))) / 10_000;
  const compared = Object.entries(fields) as Array<[Field, FieldResult]>;
  return {
    score,
    grade: gradeOf(score, config),
    bits,
    fields,
    agrees: compared.filter(([, r]) => r.outcome !== 'differ').map(([f]) => f),
    differs: compared.filter(([, r]) => r.outcome === 'differ').map(([f]) => f),
  };
}
