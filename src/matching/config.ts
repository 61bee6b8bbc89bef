import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import shipped from './match-config.json';
import nicknameFile from './nicknames.json';
import { ConfigError } from '../config';
import { isJsonObject } from '../fhir/json';

/**
 * The matcher's configuration: blocking keys, field weights, grade thresholds. Data in `match-config.json` (or the
 * file MATCH_CONFIG names), checked here once so a mistake stops start-up with the path at fault.
 */

/** What a blocking key can be built from (src/matching/blocking-keys.ts). */
export const KEY_PARTS = [
  'family-phonetic',
  'given-phonetic',
  'birthdate',
  'birthdate-unordered',
  'birth-year',
  'gender',
  'identifier',
  'phone',
  'email',
  'postal-code',
] as const;
export type KeyPart = (typeof KEY_PARTS)[number];

/** The outcomes each field's comparison has (src/matching/compare.ts); the configuration weighs every one. */
export const FIELD_OUTCOMES = {
  family: ['exact', 'similar', 'differ'],
  given: ['exact', 'nickname', 'similar', 'initial', 'differ'],
  middle: ['exact', 'initial', 'differ'],
  birthDate: ['exact', 'transposed', 'near', 'differ'],
  gender: ['exact', 'differ'],
  address: ['exact', 'postalCode', 'differ'],
  phone: ['exact', 'differ'],
  email: ['exact', 'differ'],
  identifier: ['exact', 'differ'],
} as const;
export type Field = keyof typeof FIELD_OUTCOMES;
export type Outcome<F extends Field = Field> = (typeof FIELD_OUTCOMES)[F][number];
export const FIELDS = Object.keys(FIELD_OUTCOMES) as Field[];

export type Grade = 'certain' | 'probable' | 'possible' | 'certainly-not';

export interface BlockingKey {
  name: string;
  parts: KeyPart[];
}

export interface MatchConfig {
  maxBlockSize: number;
  keys: BlockingKey[];
  weights: { [F in Field]: Record<Outcome<F>, number> };
  /** Per identifier system, weights replacing `weights.identifier`. */
  identifierSystems: Record<string, { exact: number; differ: number }>;
  nameSimilarity: number;
  offset: number;
  grades: { certain: number; probable: number; possible: number };
  addressAbbreviations: Record<string, string>;
  /** Given-name groups (nicknames.json), each led by its canonical name. */
  nicknameGroups: string[][];
  /** Changes whenever the keys a Patient gets would: stored beside them, so the store is re-keyed after a change. */
  keysFingerprint: string;
}

/** Bump when the code that computes keys changes what it writes. */
const KEY_CODE_VERSION = 1;

class ConfigProblem extends Error {}

function objectAt(v: unknown, at: string): Record<string, unknown> {
  if (!isJsonObject(v)) throw new ConfigProblem(`${at} must be an object`);
  return v;
}

function numberAt(v: unknown, at: string, min = -Infinity, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new ConfigProblem(`${at} must be a number between ${min} and ${max}`);
  return v;
}

/** The entries of an object but its `description`, which documents it. */
const entriesOf = (o: Record<string, unknown>) => Object.entries(o).filter(([k]) => k !== 'description');

function weightsOf(field: Field, v: unknown): Record<string, number> {
  const o = objectAt(v, `fields.${field}`);
  const outcomes: readonly string[] = FIELD_OUTCOMES[field];
  const unknown = entriesOf(o).find(([k]) => !outcomes.includes(k));
  if (unknown) throw new ConfigProblem(`fields.${field}.${unknown[0]} is not an outcome of ${field} (${outcomes.join(', ')})`);
  return Object.fromEntries(outcomes.map((k) => [k, numberAt(o[k], `fields.${field}.${k}`)]));
}

function keyOf(v: unknown, i: number): BlockingKey {
  const o = objectAt(v, `blocking.keys[${i}]`);
  if (typeof o.name !== 'string' || !o.name) throw new ConfigProblem(`blocking.keys[${i}].name must be a non-empty string`);
  if (!Array.isArray(o.parts) || o.parts.length === 0) throw new ConfigProblem(`blocking.keys[${i}].parts must be a non-empty array`);
  const parts = o.parts.map((p, j) => {
    if (!(KEY_PARTS as readonly unknown[]).includes(p)) throw new ConfigProblem(`blocking.keys[${i}].parts[${j}] must be one of ${KEY_PARTS.join(', ')}`);
    return p as KeyPart;
  });
  return { name: o.name, parts };
}

function nicknameGroupsOf(v: unknown): string[][] {
  const groups = objectAt(v, 'nicknames').groups;
  if (!Array.isArray(groups) || !groups.every((g) => Array.isArray(g) && g.length > 1 && g.every((n) => typeof n === 'string' && /^[a-z ]+$/.test(n)))) {
    throw new ConfigProblem('nicknames.groups must be arrays of two or more lower-case names');
  }
  return groups as string[][];
}

/** Checks a parsed configuration document; throws naming the first path at fault. */
export function parseMatchConfig(doc: unknown, nicknames: unknown = nicknameFile): MatchConfig {
  const root = objectAt(doc, '(root)');
  const blocking = objectAt(root.blocking, 'blocking');
  if (!Array.isArray(blocking.keys) || blocking.keys.length === 0) throw new ConfigProblem('blocking.keys must be a non-empty array');
  const keys = blocking.keys.map(keyOf);
  const names = new Set(keys.map((k) => k.name));
  if (names.size !== keys.length) throw new ConfigProblem('blocking.keys: names must be unique');
  const fields = objectAt(root.fields, 'fields');
  const unknownField = entriesOf(fields).find(([k]) => !(FIELDS as string[]).includes(k));
  if (unknownField) throw new ConfigProblem(`fields.${unknownField[0]} is not a field the matcher compares (${FIELDS.join(', ')})`);
  const weights = Object.fromEntries(FIELDS.map((f) => [f, weightsOf(f, fields[f])])) as MatchConfig['weights'];
  const identifierSystems = Object.fromEntries(
    entriesOf(objectAt(root.identifierSystems ?? {}, 'identifierSystems')).map(([system, w]) => {
      const o = objectAt(w, `identifierSystems["${system}"]`);
      return [system, { exact: numberAt(o.exact, `identifierSystems["${system}"].exact`), differ: numberAt(o.differ, `identifierSystems["${system}"].differ`) }];
    }),
  );
  const grades = objectAt(root.grades, 'grades');
  const possible = numberAt(grades.possible, 'grades.possible', 0, 1);
  const probable = numberAt(grades.probable, 'grades.probable', possible, 1);
  const certain = numberAt(grades.certain, 'grades.certain', probable, 1);
  const abbreviations = Object.fromEntries(
    entriesOf(objectAt(root.addressAbbreviations ?? {}, 'addressAbbreviations')).map(([k, v]) => {
      if (typeof v !== 'string') throw new ConfigProblem(`addressAbbreviations.${k} must be a string`);
      return [k, v];
    }),
  );
  const nicknameGroups = nicknameGroupsOf(nicknames);
  const maxBlockSize = numberAt(blocking.maxBlockSize, 'blocking.maxBlockSize', 2);
  const keysFingerprint = createHash('sha256')
    .update(JSON.stringify({ v: KEY_CODE_VERSION, keys, nicknameGroups }))
    .digest('hex')
    .slice(0, 16);
  return {
    maxBlockSize,
    keys,
    weights,
    identifierSystems,
    nameSimilarity: numberAt(objectAt(root.comparison, 'comparison').nameSimilarity, 'comparison.nameSimilarity', 0, 1),
    offset: numberAt(objectAt(root.score, 'score').offset, 'score.offset'),
    grades: { certain, probable, possible },
    addressAbbreviations: abbreviations,
    nicknameGroups,
    keysFingerprint,
  };
}

/** The shipped configuration, or the file MATCH_CONFIG names; a bad file is an error naming it. */
export function matchConfigFromEnv(env: Record<string, string | undefined> = process.env): MatchConfig {
  const file = env.MATCH_CONFIG;
  if (!file) return parseMatchConfig(shipped);
  try {
    return parseMatchConfig(JSON.parse(readFileSync(file, 'utf8')));
  } catch (err) {
    const why = err instanceof ConfigProblem || err instanceof SyntaxError ? err.message : String(err);
    throw new ConfigError(`MATCH_CONFIG=${file}: ${why}`);
  }
}

let defaultConfig: MatchConfig | undefined;
/** The shipped configuration, parsed once. */
export function shippedMatchConfig(): MatchConfig {
  return (defaultConfig ??= parseMatchConfig(shipped));
}
