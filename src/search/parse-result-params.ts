import { badRequest } from '../errors/operation-outcome-error';
import { R4_RESOURCE_TYPES } from '../fhir/resource-types';
import type { SearchRegistry } from './registry';
import type { IncludeSpec, SearchRequest, SortSpec, SummaryMode, TotalMode } from './types';

/**
 * Result parameters (spec 3.1.1.5.x: _sort, _count, _total, _summary, _elements, _include, _revinclude) and the
 * server's paging token `_cursor`. Each returns false when the name is not one of them.
 */

const TOTALS: ReadonlySet<string> = new Set(['none', 'estimate', 'accurate']);
const SUMMARIES: ReadonlySet<string> = new Set(['true', 'text', 'data', 'count', 'false']);
const ELEMENT = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
/** Direct sort keys that are document fields, not search entries. */
const DIRECT_SORTS: ReadonlySet<string> = new Set(['_id', '_lastUpdated']);
const MAX_SORT_KEYS = 5;
export const MAX_INCLUDES = 10;

/** Parameters that do not affect the result and need no report (handled by the HTTP layer). */
export const SILENT_PARAMS: ReadonlySet<string> = new Set(['_format', '_pretty']);

type Report = (name: string, reason: string) => void;

function parseSort(registry: SearchRegistry, value: string, types: string[], report: Report): SortSpec[] {
  const out: SortSpec[] = [];
  for (const part of value.split(',')) {
    const desc = part.startsWith('-');
    const code = desc ? part.slice(1) : part;
    if (!code) continue;
    if (DIRECT_SORTS.has(code)) {
      out.push({ code, desc });
      continue;
    }
    const param = types.length ? registry.param(types[0], code) : undefined;
    const everywhere = param && types.every((t) => registry.param(t, code)?.url === param.url);
    if (!param || !everywhere || param.type === 'composite' || param.type === 'special') {
      report(`_sort=${part}`, `${code} is not a sortable search parameter of ${types.join(', ') || 'every type'}`);
      continue;
    }
    out.push({ code, param, desc });
  }
  if (out.length > MAX_SORT_KEYS) throw badRequest(`_sort takes at most ${MAX_SORT_KEYS} keys`, '_sort');
  return out;
}

function parseCount(value: string): number {
  if (!/^\d{1,7}$/.test(value)) throw badRequest(`_count must be a non-negative integer, got "${value}"`, '_count');
  return Number(value);
}

function parseInclude(registry: SearchRegistry, name: string, value: string, rev: boolean, report: Report): IncludeSpec[] {
  const modifier = name.split(':')[1];
  if (modifier !== undefined && modifier !== 'iterate' && modifier !== 'recurse') {
    throw badRequest(`Unknown modifier :${modifier} on ${name.split(':')[0]}`, name);
  }
  const iterate = modifier !== undefined;
  if (value === '*') {
    // Every reference of every type pointing at the matches cannot be fetched by index; say so instead of
    // silently including nothing.
    if (rev) {
      report(`${name}=${value}`, `${name}=* is not supported: name the referring type, e.g. Encounter:*`);
      return [];
    }
    return [{ sourceType: '*', iterate }];
  }
  const [sourceType, code, targetType, extra] = value.split(':');
  if (extra !== undefined || !sourceType || !code || !R4_RESOURCE_TYPES.has(sourceType)) {
    throw badRequest(`${name} needs SourceType:parameter[:TargetType], got "${value}"`, name);
  }
  if (targetType !== undefined && !R4_RESOURCE_TYPES.has(targetType)) {
    throw badRequest(`${targetType} is not a resource type (${name}=${value})`, name);
  }
  if (code === '*') {
    return registry
      .params(sourceType)
      .filter((p) => p.type === 'reference')
      .map((param) => ({ sourceType, param, targetType, iterate }));
  }
  const param = registry.param(sourceType, code);
  if (!param || param.type !== 'reference') {
    report(`${name}=${value}`, `${code} is not a reference search parameter of ${sourceType}`);
    return [];
  }
  if (targetType && param.target.length && !param.target.includes(targetType)) {
    throw badRequest(`${targetType} is not a target of ${sourceType}:${code}`, name);
  }
  return [{ sourceType, param, targetType, iterate }];
}

/** Applies one result parameter to `req`; returns false when `name` is not a result parameter. */
export function applyResultParam(registry: SearchRegistry, req: SearchRequest, name: string, value: string, report: Report): boolean {
  const base = name.split(':')[0];
  switch (base) {
    case '_sort':
      if (name !== base) return false;
      req.sort = parseSort(registry, value, req.types, report);
      if (req.sort.length) req.applied.push([name, req.sort.map((s) => (s.desc ? '-' : '') + s.code).join(',')]);
      return true;
    case '_count':
      if (name !== base) return false;
      req.count = parseCount(value);
      return true;
    case '_total':
      if (name !== base) return false;
      if (!TOTALS.has(value)) throw badRequest(`_total must be none, estimate or accurate, got "${value}"`, '_total');
      req.total = value as TotalMode;
      req.applied.push([name, value]);
      return true;
    case '_summary':
      if (name !== base) return false;
      if (!SUMMARIES.has(value)) throw badRequest(`_summary must be true, text, data, count or false, got "${value}"`, '_summary');
      req.summary = value as SummaryMode;
      req.applied.push([name, value]);
      return true;
    case '_elements': {
      if (name !== base) return false;
      const elements = value
        .split(',')
        .map((e) => e.trim())
        .filter(Boolean);
      const bad = elements.find((e) => !ELEMENT.test(e));
      if (bad !== undefined) throw badRequest(`_elements has an invalid element name "${bad}"`, '_elements');
      req.elements = [...(req.elements ?? []), ...elements];
      req.applied.push([name, elements.join(',')]);
      return true;
    }
    case '_include':
    case '_revinclude': {
      const specs = parseInclude(registry, name, value, base === '_revinclude', report);
      const list = base === '_include' ? req.include : req.revinclude;
      list.push(...specs);
      if (req.include.length + req.revinclude.length > MAX_INCLUDES * 10) {
        throw badRequest(`Too many _include/_revinclude parameters`, base);
      }
      if (specs.length) req.applied.push([name, value]);
      return true;
    }
    case '_cursor':
      if (name !== base) return false;
      req.cursor = value;
      return true;
    default:
      return false;
  }
}
