import type { Resource } from 'fhir/r4';
import { storedPatientReferences } from '../search/patient-references';

/**
 * The shape of a document in MongoDB. Shared contract between the repository (which writes it), the search layer
 * (which indexes into `s`/`c` and compiles queries against them) and bulk export (which streams `r`).
 *
 * Collections, per resource type T:
 *  - `T`          current version of every resource ever created (deleted ones stay, flagged, for 410 Gone)
 *  - `T_history`  every version, `_id` = `${id}/${vid}`
 *
 * The resource is kept as JSON text (`r`), not as a BSON sub-document: queries never touch raw resource JSON (they
 * use the normalised `s` values written at index time), a read can send the stored text as the response body
 * without a parse/serialise round trip, and user-supplied keys can never be interpreted as MongoDB operators.
 */
export interface StoredDocument {
  /** Logical id. */
  _id: string;
  /** meta.versionId as a number (1, 2, ...). */
  vid: number;
  /** meta.lastUpdated. */
  lu: Date;
  /** True when the current version is a deletion. `r` then holds the last live version's text. */
  del: boolean;
  /** The full resource, meta included, as JSON text. */
  r: string;
  /** Search index: normalised values of every search parameter, written by `src/search` at save time. */
  s?: unknown;
  /** Compartments the resource belongs to, e.g. ['Patient/123'], written by `src/search` at save time. */
  c?: string[];
  /** AuditEvent only: the patients (`Patient/123`) and date of the disclosure the event records (src/store/audit-collection.ts). */
  d?: DisclosureKey;
}

/** How a stored AuditEvent that records a disclosure is found: by the patients it names and when it was made. */
export interface DisclosureKey {
  p: string[];
  at: Date;
}

export interface HistoryDocument {
  /** `${id}/${vid}` */
  _id: string;
  id: string;
  vid: number;
  lu: Date;
  del: boolean;
  /** The interaction that produced this version: create, update, patch, delete. */
  op: 'create' | 'update' | 'patch' | 'delete';
  /** Resource text; for a deletion, the text of the last live version. */
  r: string;
  /** Compartments of this version, so a patient-scoped history query can be served. */
  c?: string[];
  /**
   * Patients (`Patient/<id>`) this version references outside its compartments (Observation.focus, an extension),
   * when there are any: certified destruction finds every past version that names a destroyed patient by `c` and
   * `pr` (the current version has them in its search index, which history does not keep).
   */
  pr?: string[];
}

export const historyCollectionName = (type: string) => `${type}_history`;

/** The search fields of a stored resource, as the search layer computes them. */
export interface SearchFields {
  s: unknown;
  c: string[];
}

/**
 * The current document of a live version: `resource` as stored (its id and server meta already set) with its
 * search fields. Every writer of current documents (the repository, the audit trail) builds them here.
 */
export function storedDocumentOf(id: string, vid: number, lu: Date, resource: Resource, { s, c }: SearchFields): StoredDocument {
  return { _id: id, vid, lu, del: false, r: JSON.stringify(resource), s, c };
}

/** The current document recording the deletion of `existing`: the next version, keeping the last live text. */
export function deletionOf(existing: StoredDocument, lu: Date): StoredDocument {
  return { ...existing, vid: existing.vid + 1, lu, del: true };
}

/** The history document of the version `doc` holds, written by `op`. */
export function historyDocumentOf(doc: StoredDocument, op: HistoryDocument['op']): HistoryDocument {
  const pr = referencesOutside(doc);
  return { _id: `${doc._id}/${doc.vid}`, id: doc._id, vid: doc.vid, lu: doc.lu, del: doc.del, op, r: doc.r, c: doc.c, ...(pr.length ? { pr } : {}) };
}

/** The Patients (`Patient/<id>`) a version's search fields say it references outside its compartments. */
export function referencesOutside({ s, c }: Pick<StoredDocument, 's' | 'c'>): string[] {
  const inside = new Set(c ?? []);
  return storedPatientReferences({ s })
    .map((id) => `Patient/${id}`)
    .filter((ref) => !inside.has(ref));
}

/** Index-on-write: the search layer's `buildSearchIndex`, injected so the store does not depend on search. */
export type Indexer = (resource: Resource) => SearchFields;

/** Projection of a current document for reads by id: `s` is as large as the resource text, and they never use it. */
export const WITHOUT_SEARCH_INDEX = { s: 0 } as const;
