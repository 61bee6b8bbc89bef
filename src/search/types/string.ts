import type { FhirNode } from '../expression';
import { escapeRegex, normalizeString, prefixRange, truncate } from '../normalize';
import type { EntryMatch } from '../types';
import type { IndexFields, ParamTypeModule } from './param-type';

/** The parts of complex types that string search matches (spec 3.1.1.4.7: any part of a name or address). */
const PARTS: Record<string, readonly string[]> = {
  HumanName: ['text', 'family', 'given', 'prefix', 'suffix'],
  Address: ['text', 'line', 'city', 'district', 'state', 'postalCode', 'country'],
  CodeableConcept: ['text'],
  Coding: ['display'],
  Annotation: ['text'],
  Attachment: ['title'],
};

const MAX_EXACT = 2048;

function texts(node: FhirNode): string[] {
  const v = node.value;
  if (typeof v === 'string') return [v];
  if (!v || typeof v !== 'object') return [];
  const keys = (node.type && PARTS[node.type]) ?? PARTS.HumanName;
  const out: string[] = [];
  for (const k of keys) {
    const part = (v as Record<string, unknown>)[k];
    for (const s of Array.isArray(part) ? part : [part]) if (typeof s === 'string') out.push(s);
  }
  return out;
}

export function stringEntry(text: string): IndexFields {
  return { v: truncate(normalizeString(text)), x: text.length > MAX_EXACT ? text.slice(0, MAX_EXACT) : text };
}

export const stringType: ParamTypeModule<string> = {
  modifiers: new Set(['exact', 'contains']),
  index(node: FhirNode): IndexFields[] {
    return texts(node)
      .filter((t) => t.trim() !== '')
      .map(stringEntry);
  },
  parse(raw: string): string {
    return raw;
  },
  compile(value: string, modifier: string | undefined): EntryMatch {
    const normalized = truncate(normalizeString(value));
    if (modifier === 'exact') return { cond: { v: normalized, x: value } };
    // :contains scans the parameter's index keys with a literal (escaped) pattern; never user regex syntax.
    if (modifier === 'contains') return { cond: { v: { $regex: escapeRegex(normalized) } } };
    return { cond: { v: prefixRange(normalized) } };
  },
};
