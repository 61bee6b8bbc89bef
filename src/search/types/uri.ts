import { badRequest } from '../../errors/operation-outcome-error';
import { unescapeValue } from '../escape';
import type { FhirNode } from '../expression';
import { prefixRange } from '../normalize';
import type { EntryMatch, SearchParam } from '../types';
import type { IndexFields, ParamTypeModule } from './param-type';

/**
 * uri (spec 3.1.1.4.8): exact, case-sensitive match on the stored URI; :below matches URIs under the value (by
 * prefix), :above matches URIs the value is under (each of its path prefixes). Canonicals also match versionless.
 */
function indexUri(node: FhirNode): IndexFields[] {
  const v = node.value;
  if (typeof v !== 'string' || v === '') return [];
  return v.includes('|') ? [{ v }, { v: v.split('|')[0] }] : [{ v }];
}

function pathPrefixes(uri: string): string[] {
  const out: string[] = [];
  let i = uri.indexOf('//') + 2;
  for (;;) {
    const next = uri.indexOf('/', i);
    if (next < 0) break;
    out.push(uri.slice(0, next));
    i = next + 1;
  }
  out.push(uri);
  return out.filter((u) => u.length > 0);
}

export const uriType: ParamTypeModule<string> = {
  modifiers: new Set(['below', 'above']),
  index: indexUri,
  parse(raw: string, _modifier: string | undefined, param: SearchParam): string {
    const value = unescapeValue(raw);
    if (value === '') throw badRequest(`Empty uri for ${param.code}`, param.code);
    return value;
  },
  compile(value: string, modifier: string | undefined): EntryMatch {
    if (modifier === 'below') return { cond: { v: prefixRange(value) } };
    if (modifier === 'above') return { cond: { v: { $in: pathPrefixes(value) } } };
    return { cond: { v: value } };
  },
};
