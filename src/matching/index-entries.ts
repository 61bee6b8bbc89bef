import type { Patient, Resource } from 'fhir/r4';
import type { Filter } from 'mongodb';
import type { IndexEntry } from '../search/types';
import type { SearchFields, StoredDocument } from '../store/stored-document';
import type { Matcher } from '.';

/**
 * A Patient's blocking keys live in its own search index, as `s.e` entries `{p: '_match', v: key}`: written with
 * every version in the same document (nothing to keep in step, no second collection), served by the
 * `search_value` index, and read through the Repository, so the caller's policy bounds the candidates like any
 * search (a Patient the caller may not see is never a candidate, not even counted). The code starts with `_` and
 * is no SearchParameter's, so no client query reaches it.
 */
export const MATCH_KEY = '_match';

/** `fields` of a resource with its blocking keys added when it is a Patient (index-on-write). */
export function withMatchKeys(fields: SearchFields, resource: Resource, matcher: Matcher): SearchFields {
  if (resource.resourceType !== 'Patient') return fields;
  const s = fields.s as { e?: IndexEntry[] };
  const keys: IndexEntry[] = matcher.keys(resource as Patient).map((v) => ({ p: MATCH_KEY, v }));
  return { ...fields, s: { ...s, e: [...(s.e ?? []), ...keys] } };
}

/** Patients under one key (an indexed query). */
export function withKey(key: string): Filter<StoredDocument> {
  return { 's.e': { $elemMatch: { p: MATCH_KEY, v: key } } };
}

/** Patients under any of `keys`. */
export function withAnyKey(keys: readonly string[]): Filter<StoredDocument> {
  return { 's.e': { $elemMatch: { p: MATCH_KEY, v: { $in: [...keys] } } } };
}

/** The blocking keys of a stored Patient, read from its index entries. */
export function storedKeys(doc: Pick<StoredDocument, 's'>): string[] {
  const s = doc.s as { e?: IndexEntry[] } | undefined;
  return (s?.e ?? []).flatMap((e) => (e.p === MATCH_KEY && typeof e.v === 'string' ? [e.v] : []));
}
