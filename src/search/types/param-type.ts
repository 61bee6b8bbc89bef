import type { FhirNode } from '../expression';
import type { EntryMatch, IndexEntry, SearchParam } from '../types';
import type { SearchContext } from '../context';
import type { ComponentMemo } from './component-memo';

/** Index fields of one value; `p` only when the entry is stored under another code (`name:text`, ...). */
export type IndexFields = Omit<IndexEntry, 'p'> & { p?: string };

/** What indexing one resource gives every value's indexing: the server's search context, the call's memo. */
export interface IndexScope {
  readonly search: SearchContext;
  /** Composite components' entries, shared by the composites of one buildSearchIndex call. */
  readonly memo: ComponentMemo;
}

/**
 * What each search parameter type knows: how to index a value on write, how to parse a search value (throwing
 * 400 on a malformed one), and how to compile it to conditions on one `s.e` entry. The registry dispatches on
 * SearchParameter.type; nothing here is specific to one parameter.
 */
export interface ParamTypeModule<V = unknown> {
  readonly modifiers: ReadonlySet<string>;
  /** Modifiers meaning "no value of the resource matches" (:not, :not-in). */
  readonly negating?: ReadonlySet<string>;
  index(node: FhirNode, param: SearchParam, scope: IndexScope): IndexFields[];
  parse(raw: string, modifier: string | undefined, param: SearchParam, search: SearchContext): V;
  compile(value: V, modifier: string | undefined, param: SearchParam): EntryMatch;
}
