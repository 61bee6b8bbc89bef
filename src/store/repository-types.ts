import type { Resource } from 'fhir/r4';
import type { Db, MongoClient } from 'mongodb';
import type { RestrictionCompiler } from './policy-filter';
import type { Indexer, StoredDocument } from './stored-document';
import type { WriteHooks } from './write-hooks';

/** What callers of the Repository (src/store/repository.ts) hand it and get back. */
export interface WriteResult {
  doc: StoredDocument;
  resource: Resource;
  /** True when this write created the resource (201), false for a new version of an existing one (200). */
  created: boolean;
}

export interface DeleteResult {
  /** The deletion's version, or undefined when there was nothing live to delete. */
  doc?: StoredDocument;
}

export interface RepositoryOptions {
  client: MongoClient;
  db: Db;
  index: Indexer;
  /** Creates a type's collections and indexes; must run outside a transaction, before its first write. */
  ensureType: (type: string) => Promise<void>;
  compileRestriction?: RestrictionCompiler;
  /** Run inside every write's transaction (src/store/write-hooks.ts). */
  hooks?: WriteHooks;
}
