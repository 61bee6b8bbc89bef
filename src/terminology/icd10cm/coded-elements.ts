import data from './coded-element-rules.json';
import { isJsonObject } from '../../fhir/json';

/**
 * Where ICD-10-CM codings are checked on write and where their date of service comes from: coded-element-rules.json,
 * read here into typed rules (its `description` says what each field means).
 */

export type DateStep = { kind: 'path'; path: string[]; when?: Condition } | { kind: 'encounter'; path: string[]; when?: Condition } | { kind: 'today'; when?: Condition };

interface Condition {
  path: string[];
  values: ReadonlySet<string>;
}

export interface CodedElements {
  /** CodeableConcept elements, each as JSON property names from the resource. */
  codes: string[][];
  dateOfService: DateStep[];
}

interface RawStep {
  path?: string;
  encounter?: string;
  today?: boolean;
  when?: { path: string; in: string };
}

const split = (path: string) => path.split('.');

function step(raw: RawStep, sets: Record<string, string[]>, where: string): DateStep {
  let when: Condition | undefined;
  if (raw.when) {
    const values = sets[raw.when.in];
    if (!values) throw new Error(`coded-element-rules.json ${where}: no set '${raw.when.in}'`);
    when = { path: split(raw.when.path), values: new Set(values) };
  }
  if (raw.path) return { kind: 'path', path: split(raw.path), when };
  if (raw.encounter) return { kind: 'encounter', path: split(raw.encounter), when };
  if (raw.today) return { kind: 'today', when };
  throw new Error(`coded-element-rules.json ${where}: a step needs path, encounter or today`);
}

function read(): ReadonlyMap<string, CodedElements> {
  const sets = data.sets as Record<string, string[]>;
  const out = new Map<string, CodedElements>();
  for (const [type, rules] of Object.entries(data.resources as Record<string, { codes: string[]; dateOfService: RawStep[] }>)) {
    out.set(type, { codes: rules.codes.map(split), dateOfService: rules.dateOfService.map((s, i) => step(s, sets, `${type}.dateOfService[${i}]`)) });
  }
  return out;
}

/** The rules by resource type. */
export const CODED_ELEMENTS = read();

/** Every value at `path` below `value`, arrays walked, each with its JSON pointer. */
export function valuesAt(value: unknown, path: string[], pointer = ''): Array<{ value: unknown; pointer: string }> {
  if (path.length === 0) return [{ value, pointer }];
  if (Array.isArray(value)) return value.flatMap((v, i) => valuesAt(v, path, `${pointer}/${i}`));
  if (!isJsonObject(value) || !(path[0] in value)) return [];
  const next = value[path[0]];
  const at = `${pointer}/${path[0]}`;
  return Array.isArray(next) ? next.flatMap((v, i) => valuesAt(v, path.slice(1), `${at}/${i}`)) : valuesAt(next, path.slice(1), at);
}

/** Does the resource meet a step's `when`? */
export const applies = (resource: Record<string, unknown>, when: Condition | undefined) =>
  !when || valuesAt(resource, when.path).some((v) => typeof v.value === 'string' && when.values.has(v.value));
