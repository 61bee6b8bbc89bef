import type { Resource } from 'fhir/r4';
import r4 from 'fhirpath/fhir-context/r4';
import { badRequest } from '../errors/operation-outcome-error';
import { isMandatoryElement, isSummaryElement } from '../fhir/element-definitions';

export type SummaryMode = 'true' | 'text' | 'data' | 'count' | 'false';

/** R4's mark of a resource returned with elements left out (3.1.1.5.8): never to be stored or updated as it is. */
export const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };
const ALWAYS = new Set(['resourceType', 'id', 'meta']);

const choiceTypes = r4.choiceTypePaths as unknown as Record<string, string[] | undefined>;

/**
 * The element a top-level JSON key holds: `deceased` for `deceasedBoolean` (a choice element is stored with its
 * type as suffix), the key itself otherwise. The R4 model of the fhirpath library knows each choice's types, so
 * `statusHistory` is not taken for a `status[x]` of type History.
 */
function elementName(type: string, key: string): string {
  for (let i = key.length - 1; i > 0; i--) {
    if (key[i] >= 'A' && key[i] <= 'Z' && choiceTypes[`${type}.${key.slice(0, i)}`]?.includes(key.slice(i))) {
      return key.slice(0, i);
    }
  }
  return key;
}

export function tagSubsetted(resource: Record<string, unknown>): void {
  const meta = { ...((resource.meta as Record<string, unknown>) ?? {}) };
  meta.tag = [...((meta.tag as unknown[]) ?? []), SUBSETTED];
  resource.meta = meta;
}

export function parseSummary(value: string | undefined): SummaryMode | undefined {
  if (value === undefined) return undefined;
  if (!['true', 'text', 'data', 'count', 'false'].includes(value)) {
    throw badRequest(`_summary must be one of true, text, data, count, false; got "${value}"`, '_summary');
  }
  return value as SummaryMode;
}

export function parseElements(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const n of names) {
    if (!/^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)?$/.test(n)) throw badRequest(`_elements has an invalid name "${n}"`, '_elements');
  }
  return names;
}

/** Applies `_summary` and `_elements` (spec 3.1.1.5.8 / 3.1.1.5.9) to a resource; returns a new object. */
export function subset(resource: Resource, summary?: SummaryMode, elements?: string[]): Resource {
  const type = resource.resourceType;
  const src = resource as unknown as Record<string, unknown>;
  let keep: ((key: string) => boolean) | undefined;
  if (elements?.length) {
    const wanted = new Set(elements.map((e) => (e.includes('.') ? e.split('.')[1] : e)));
    keep = (k) => ALWAYS.has(k) || wanted.has(k) || wanted.has(elementName(type, k)) || isMandatoryElement(type, elementName(type, k));
  } else if (summary === 'true') {
    keep = (k) => ALWAYS.has(k) || isSummaryElement(type, elementName(type, k));
  } else if (summary === 'text') {
    keep = (k) => ALWAYS.has(k) || k === 'text' || isMandatoryElement(type, elementName(type, k));
  } else if (summary === 'data') {
    keep = (k) => k !== 'text';
  }
  if (!keep) return resource;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(src)) {
    // `_given`-style primitive extensions follow their element.
    if (keep(k.startsWith('_') ? k.slice(1) : k)) out[k] = v;
  }
  tagSubsetted(out);
  return out as unknown as Resource;
}
