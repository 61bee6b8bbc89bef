import { badRequest } from '../../errors/operation-outcome-error';
import type { SearchContext } from '../context';
import { splitUnescaped } from '../escape';
import type { FhirNode } from '../expression';
import type { EntryMatch, SearchParam } from '../types';
import { moduleFor } from './index';
import type { IndexFields, IndexScope, ParamTypeModule } from './param-type';
import { renameFields } from './prefix';

/**
 * composite (spec 3.1.1.4.9): one entry per combination of component values taken from the same element (an
 * Observation.component's code with its own value), component i > 0 stored with its fields suffixed by i. A
 * search value `a$b` compiles each part with its component's type and merges the conditions the same way, so both
 * must hold on one entry, i.e. on one element.
 */
const MAX_COMBINATIONS = 32;

const suffixed = (i: number) => (field: string) => (i === 0 ? field : `${field}${i}`);

function componentEntries(node: FhirNode, param: SearchParam, i: number, scope: IndexScope): IndexFields[] {
  const c = param.components![i];
  const compute = () =>
    scope.search.registry
      .componentEvaluator(
        param,
        i,
        node.path,
      )(node.value)
      .flatMap((n) => moduleFor(c.param.type).index(n, c.param, scope))
      // Modifier-only entries (`code:text`) have no place in a combination.
      .filter((f) => f.p === undefined);
  return scope.memo.entries(node.value, `${c.param.url}|${c.param.code}|${c.expression}|${node.path ?? ''}`, compute);
}

function indexComposite(node: FhirNode, param: SearchParam, scope: IndexScope): IndexFields[] {
  const perComponent: IndexFields[][] = param.components!.map((_c, i) => componentEntries(node, param, i, scope));
  let combos: IndexFields[] = [{}];
  perComponent.forEach((entries, i) => {
    const next: IndexFields[] = [];
    for (const combo of combos) {
      for (const e of entries) {
        if (next.length < MAX_COMBINATIONS) next.push({ ...combo, ...renameFields(e, suffixed(i)) });
      }
    }
    combos = next;
  });
  return combos.filter((c) => Object.keys(c).length > 0);
}

function parseComposite(raw: string, _modifier: string | undefined, param: SearchParam, search: SearchContext): unknown[] {
  const parts = splitUnescaped(raw, '$');
  const components = param.components!;
  if (parts.length !== components.length) {
    throw badRequest(`${param.code} needs ${components.length} values separated by $, got "${raw}"`, param.code);
  }
  return parts.map((part, i) => moduleFor(components[i].param.type).parse(part, undefined, components[i].param, search));
}

function compileComposite(values: unknown[], _modifier: string | undefined, param: SearchParam): EntryMatch {
  const conds = values.map((v, i) => {
    const c = param.components![i].param;
    return renameFields(moduleFor(c.type).compile(v, undefined, c).cond, suffixed(i));
  });
  return { cond: conds.some((c) => '$or' in c) ? { $and: conds } : Object.assign({}, ...conds) };
}

export const compositeType: ParamTypeModule<unknown[]> = {
  modifiers: new Set(),
  index: indexComposite,
  parse: parseComposite,
  compile: compileComposite,
};
