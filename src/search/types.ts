import type { Document, Filter, Sort } from 'mongodb';
import type { StoredDocument } from '../store/stored-document';
import type { CompiledExpression } from './expression';

/**
 * Contracts of the search layer. `SearchStore` is the only way search reaches data: the repository implements it
 * and ANDs the caller's access policy (and `del: false`) into every filter, so includes, chains and _has see
 * exactly what a plain search would.
 */
export interface SearchFindOptions {
  sort?: Sort;
  limit?: number;
  projection?: Document;
  /**
   * 'search' (the default): the query searches `type` (the matches, `_revinclude`, chains, `_has`), so it finds only
   * what the caller may search (SMART v2 `s`). 'read': it fetches what a reference names (`_include`) or what a
   * conditional write acts on, so it finds what the caller may read.
   */
  access?: 'read' | 'search';
}

export interface SearchStore {
  find(type: string, filter: Filter<StoredDocument>, options: SearchFindOptions): AsyncIterable<StoredDocument>;
  /** Counts what a search finds (`access` 'search'). */
  count(type: string, filter: Filter<StoredDocument>): Promise<number>;
  /** May the caller search `type` at all? Absent: every type. */
  maySearch?(type: string): boolean;
}

/** What executeSearch needs of one request beyond the parsed query. */
export interface ExecuteContext {
  /** Public base of the FHIR API, no trailing slash. */
  baseUrl: string;
  /** Page size when `_count` is absent, and the largest `_count` honoured. */
  defaultCount: number;
  maxCount: number;
  /** `Patient/123/Condition`: only resources in that compartment. */
  compartment?: { type: string; id: string };
  /** Types a system-level search without `_type` covers (the types the server serves). */
  systemTypes?: readonly string[];
  /** `_total` when the client does not ask: 'accurate' unless configured otherwise. */
  defaultTotal?: TotalMode;
}

export type ParamType = 'string' | 'token' | 'date' | 'reference' | 'quantity' | 'number' | 'uri' | 'composite' | 'special';

/** A search parameter as it applies to one resource type. */
export interface SearchParam {
  code: string;
  type: ParamType;
  url: string;
  resourceType: string;
  description?: string;
  /** The definition's expression restricted to this type; undefined when the definition has none. */
  expression?: string;
  /** Reference targets (empty: any type). */
  target: readonly string[];
  /** Compiled lazily on first use. */
  evaluate?: CompiledExpression;
  components?: ReadonlyArray<{ param: SearchParam; expression: string }>;
}

/**
 * One normalised value in `s.e`. `p` is the parameter code (or `code:text`, `code:identifier`, `code:of-type` for
 * values that modifiers search). Composite entries carry their later components' fields suffixed `1`, `2`, ...
 */
export interface IndexEntry {
  p: string;
  /** String, token code, uri, reference 'Type/id', quantity unit code. */
  v?: string;
  /** Token system, quantity unit system, identifier type for :of-type. */
  sy?: string;
  /** Exact (un-normalised) string for :exact. */
  x?: string;
  /** Range of a date (Date) or number/quantity (number). */
  lo?: Date | number;
  hi?: Date | number;
  /** Quantity unit as written, normalised. */
  u?: string;
  /** Marks a quantity entry converted to canonical UCUM units. */
  cn?: boolean;
  [component: string]: unknown;
}

/** Per-parameter sort keys: `a` the smallest value (ascending sorts), `d` the largest (descending sorts). */
export interface SortKey {
  a: string | number | Date;
  d: string | number | Date;
}

/** What buildSearchIndex stores in StoredDocument.s. */
export interface SearchIndexDoc {
  /** Entries of token, string, reference and uri parameters. */
  e: IndexEntry[];
  /** Entries of range parameters (date, number, quantity, composites led by one); absent when there are none. */
  r?: IndexEntry[];
  o: Record<string, SortKey>;
}

export type Prefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb' | 'ap';
export type TotalMode = 'none' | 'estimate' | 'accurate';
export type SummaryMode = 'true' | 'text' | 'data' | 'count' | 'false';

/** Conditions on one entry of `s.e` or `s.r` (the body of an $elemMatch, without `p`), with the entry code to match. */
export interface EntryMatch {
  /** Entry code when it is not the parameter's own (`code:text`, ...). */
  p?: string;
  cond: Record<string, unknown>;
}

/** A parsed search criterion; a SearchRequest ANDs them. */
export type Clause =
  /** Values of one parameter, OR-ed. `values` are the parameter type's parsed values. */
  | { kind: 'value'; param: SearchParam; modifier?: string; values: unknown[] }
  | { kind: 'missing'; param: SearchParam; missing: boolean }
  /** `subject:Patient.name=x`: resources whose reference points to a target matching `inner`. */
  | { kind: 'chain'; param: SearchParam; inner: Array<{ type: string; clause: Clause }> }
  /** `_has:Observation:patient:code=x`: resources referenced by `param` of a `type` resource matching `inner`. */
  | { kind: 'has'; type: string; param: SearchParam; inner: Clause };

export interface SortSpec {
  /** A parameter code, or `_id` / `_lastUpdated`. */
  code: string;
  param?: SearchParam;
  desc: boolean;
}

export interface IncludeSpec {
  sourceType: string;
  /** Undefined for `*` (every reference parameter of the source type). */
  param?: SearchParam;
  targetType?: string;
  iterate: boolean;
}

export interface IgnoredParameter {
  name: string;
  reason: string;
}

export interface SearchRequest {
  /** The types searched: one for a type search, several for `_type`, all served types for a bare system search. */
  types: string[];
  /** True for a system-level search. */
  system: boolean;
  clauses: Clause[];
  sort: SortSpec[];
  count?: number;
  /** Opaque paging token from a next/prev link. */
  cursor?: string;
  total?: TotalMode;
  summary?: SummaryMode;
  elements?: string[];
  include: IncludeSpec[];
  revinclude: IncludeSpec[];
  /** Parameters that were not applied, with why; reported in an outcome entry. */
  ignored: IgnoredParameter[];
  /** The parameters applied, normalised, in order: the self link's query. */
  applied: Array<[string, string]>;
}
