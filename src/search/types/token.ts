import { badRequest } from '../../errors/operation-outcome-error';
import { splitUnescaped, unescapeValue } from '../escape';
import type { FhirNode } from '../expression';
import { normalizeString, truncate } from '../normalize';
import { impliedSystem } from '../implied-systems';
import { expandValueSet, hierarchyCodes } from '../terminology';
import type { EntryMatch, SearchParam } from '../types';
import type { IndexFields, ParamTypeModule } from './param-type';
import { prefixRange } from '../normalize';

/**
 * token (spec 3.1.1.4.5): entries `{v: code, sy: system}` per Coding / Identifier / ContactPoint / code / boolean
 * (a code's system is the one its required binding implies, absent when none does),
 * plus `code:text` entries (CodeableConcept.text, Coding.display, Identifier.type.text) for :text and
 * `code:of-type` entries (`sy` = 'typeSystem|typeCode') for Identifier :of-type.
 */

interface Coding {
  system?: string;
  code?: string;
  display?: string;
}

function textEntry(param: SearchParam, text: unknown): IndexFields[] {
  return typeof text === 'string' && text.trim() ? [{ p: `${param.code}:text`, v: truncate(normalizeString(text)) }] : [];
}

function codingEntries(param: SearchParam, c: Coding | undefined): IndexFields[] {
  if (!c || typeof c !== 'object') return [];
  const out: IndexFields[] = [];
  if (typeof c.code === 'string') out.push(typeof c.system === 'string' ? { v: c.code, sy: c.system } : { v: c.code });
  out.push(...textEntry(param, c.display));
  return out;
}

function indexToken(node: FhirNode, param: SearchParam): IndexFields[] {
  const v = node.value;
  if (typeof v === 'boolean') return [{ v: String(v) }];
  if (typeof v === 'string') {
    if (!v) return [];
    // A code carries the system its binding implies (implied-systems.ts), so `system|code` finds it and `|code` not.
    const sy = node.type === 'code' && node.element ? impliedSystem(node.element, v) : undefined;
    return [sy ? { v: truncate(v), sy } : { v: truncate(v) }];
  }
  if (!v || typeof v !== 'object') return [];
  const o = v as Record<string, unknown>;
  if (Array.isArray(o.coding) || 'text' in o || node.type === 'CodeableConcept') {
    return [...((o.coding as Coding[]) ?? []).flatMap((c) => codingEntries(param, c)), ...textEntry(param, o.text)];
  }
  if ('value' in o && typeof o.value === 'string') {
    // Identifier or ContactPoint: system|value.
    const out: IndexFields[] = [typeof o.system === 'string' ? { v: truncate(o.value), sy: o.system } : { v: truncate(o.value) }];
    const type = o.type as { coding?: Coding[]; text?: string } | undefined;
    for (const t of type?.coding ?? []) {
      if (t.code) out.push({ p: `${param.code}:of-type`, v: truncate(o.value), sy: `${t.system ?? ''}|${t.code}` });
    }
    out.push(...textEntry(param, type?.text));
    return out;
  }
  return codingEntries(param, o as Coding);
}

export type TokenValue =
  | { kind: 'code'; system?: string; code?: string }
  | { kind: 'text'; text: string }
  | { kind: 'of-type'; type: string; value: string }
  | { kind: 'set'; codes: Map<string, Set<string>> };

function parseSystemCode(raw: string): { system?: string; code?: string } {
  const parts = splitUnescaped(raw, '|', 2);
  if (parts.length === 1) return { code: unescapeValue(parts[0]) };
  return { system: unescapeValue(parts[0]), code: parts[1] === '' ? undefined : unescapeValue(parts[1]) };
}

function parseToken(raw: string, modifier: string | undefined, param: SearchParam): TokenValue {
  switch (modifier) {
    case 'text':
      return { kind: 'text', text: truncate(normalizeString(unescapeValue(raw))) };
    case 'of-type': {
      const parts = splitUnescaped(raw, '|');
      if (parts.length !== 3 || parts.some((p) => p === '')) {
        throw badRequest(`${param.code}:of-type needs system|code|value, got "${raw}"`, param.code);
      }
      return { kind: 'of-type', type: `${unescapeValue(parts[0])}|${unescapeValue(parts[1])}`, value: unescapeValue(parts[2]) };
    }
    case 'in':
    case 'not-in': {
      const expansion = expandValueSet(unescapeValue(raw));
      return { kind: 'set', codes: expansion };
    }
    case 'below':
    case 'above': {
      const { system, code } = parseSystemCode(raw);
      if (!system || !code) throw badRequest(`${param.code}:${modifier} needs system|code, got "${raw}"`, param.code);
      return { kind: 'set', codes: new Map([[system, new Set(hierarchyCodes(system, code, modifier))]]) };
    }
    default: {
      const { system, code } = parseSystemCode(raw);
      if (system === undefined && code === undefined) throw badRequest(`Empty token for ${param.code}`, param.code);
      return { kind: 'code', system, code };
    }
  }
}

function compileToken(value: TokenValue, _modifier: string | undefined, param: SearchParam): EntryMatch {
  switch (value.kind) {
    case 'text':
      return { p: `${param.code}:text`, cond: { v: prefixRange(value.text) } };
    case 'of-type':
      return { p: `${param.code}:of-type`, cond: { v: value.value, sy: value.type } };
    case 'set': {
      const branches = [...value.codes].map(([sy, codes]) => ({ v: { $in: [...codes] }, sy }));
      return { cond: branches.length === 1 ? branches[0] : { $or: branches.length ? branches : [{ v: { $in: [] } }] } };
    }
    case 'code': {
      const cond: Record<string, unknown> = {};
      if (value.code !== undefined) cond.v = value.code;
      // `|code` means "no system" (so not a code whose binding implies one); `code` alone means any system.
      if (value.system !== undefined) cond.sy = value.system === '' ? null : value.system;
      return { cond };
    }
  }
}

export const tokenType: ParamTypeModule<TokenValue> = {
  modifiers: new Set(['text', 'not', 'of-type', 'in', 'not-in', 'below', 'above']),
  negating: new Set(['not', 'not-in']),
  index: indexToken,
  parse: parseToken,
  compile: compileToken,
};
