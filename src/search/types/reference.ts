import { badRequest } from '../../errors/operation-outcome-error';
import { R4_RESOURCE_TYPES } from '../../fhir/resource-types';
import { unescapeValue } from '../escape';
import type { FhirNode } from '../expression';
import type { EntryMatch, SearchParam } from '../types';
import type { IndexFields, IndexScope, ParamTypeModule } from './param-type';
import { tokenType, type TokenValue } from './token';

/**
 * reference (spec 3.1.1.4.6): entries `{v: 'Type/id'}` (absolute URLs to this server reduced to that form, other
 * URLs and canonicals kept literally, canonicals also without their `|version`), and `code:identifier` entries
 * from Reference.identifier for the :identifier modifier.
 */

const RELATIVE = /^([A-Z][A-Za-z]{1,63})\/([A-Za-z0-9.-]{1,64})(?:\/_history\/[A-Za-z0-9.-]{1,64})?$/;

/**
 * The stored form of a reference string; undefined for local (`#contained`) references. `base`: the server's public
 * base URL (no trailing slash), whose absolute URLs are stored relative.
 */
export function normalizeReference(reference: string, base: string | undefined): string | undefined {
  if (reference.startsWith('#') || reference === '') return undefined;
  let ref = reference;
  if (base && ref.startsWith(base + '/')) ref = ref.slice(base.length + 1);
  const m = RELATIVE.exec(ref);
  return m && R4_RESOURCE_TYPES.has(m[1]) ? `${m[1]}/${m[2]}` : reference;
}

function indexReference(node: FhirNode, param: SearchParam, scope: IndexScope): IndexFields[] {
  const v = node.value;
  if (typeof v === 'string') {
    // canonical or uri values of a reference parameter.
    const out: IndexFields[] = [{ v }];
    if (v.includes('|')) out.push({ v: v.split('|')[0] });
    return out;
  }
  if (!v || typeof v !== 'object') return [];
  const ref = v as { reference?: unknown; identifier?: { system?: unknown; value?: unknown } };
  const out: IndexFields[] = [];
  if (typeof ref.reference === 'string') {
    const n = normalizeReference(ref.reference, scope.search.baseUrl);
    if (n) out.push({ v: n });
  }
  const id = ref.identifier;
  if (id && typeof id.value === 'string') {
    out.push({ p: `${param.code}:identifier`, v: id.value, ...(typeof id.system === 'string' ? { sy: id.system } : {}) });
  }
  return out;
}

export type ReferenceValue = { kind: 'refs'; refs: string[] } | { kind: 'identifier'; token: TokenValue };

/** Candidate stored forms of a search value: `Type/id`, a bare id (any allowed target type), or a URL. */
function candidates(raw: string, modifier: string | undefined, param: SearchParam, base: string | undefined): string[] {
  const value = unescapeValue(raw);
  if (value === '') throw badRequest(`Empty reference for ${param.code}`, param.code);
  if (modifier) {
    if (!R4_RESOURCE_TYPES.has(modifier) || (param.target.length && !param.target.includes(modifier))) {
      throw badRequest(`${modifier} is not a target type of ${param.code}`, param.code);
    }
    if (value.includes('/')) {
      const n = normalizeReference(value, base);
      if (!n?.startsWith(`${modifier}/`)) throw badRequest(`${value} is not a ${modifier} reference`, param.code);
      return [n];
    }
    return [`${modifier}/${value}`];
  }
  if (!value.includes('/') && !value.includes(':')) {
    const targets = param.target.length ? param.target : [...R4_RESOURCE_TYPES];
    return targets.map((t) => `${t}/${value}`);
  }
  return [normalizeReference(value, base) ?? value];
}

export const referenceType: ParamTypeModule<ReferenceValue> = {
  // A resource-type modifier (`subject:Patient`) is checked in parse; these are the named ones.
  modifiers: new Set(['identifier']),
  index: indexReference,
  parse(raw, modifier, param, search): ReferenceValue {
    if (modifier === 'identifier') return { kind: 'identifier', token: tokenType.parse(raw, undefined, param, search) };
    return { kind: 'refs', refs: candidates(raw, modifier, param, search.baseUrl) };
  },
  compile(value, _modifier, param): EntryMatch {
    if (value.kind === 'identifier') {
      return { p: `${param.code}:identifier`, cond: tokenType.compile(value.token, undefined, param).cond };
    }
    return { cond: { v: value.refs.length === 1 ? value.refs[0] : { $in: value.refs } } };
  },
};
