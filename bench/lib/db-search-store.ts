import type { Db, Filter } from 'mongodb';
import type { StoredDocument } from '../../src/store/stored-document';
import type { SearchFindOptions, SearchStore } from '../../src/search/types';

/**
 * A SearchStore straight over a MongoDB `Db`, for tools, benches and tests: live documents only, plus an optional
 * per-type filter standing in for an access policy. The server itself searches through the repository, which
 * implements the same interface with the caller's real policy.
 */
export class DbSearchStore implements SearchStore {
  constructor(
    readonly db: Db,
    public policy?: (type: string) => Filter<StoredDocument> | undefined,
  ) {}

  visible(type: string, filter: Filter<StoredDocument>): Filter<StoredDocument> {
    const parts: Filter<StoredDocument>[] = [{ del: false }, filter];
    const bound = this.policy?.(type);
    if (bound) parts.push(bound);
    return { $and: parts };
  }

  find(type: string, filter: Filter<StoredDocument>, { access: _access, ...options }: SearchFindOptions) {
    return this.db.collection<StoredDocument>(type).find(this.visible(type, filter), options);
  }

  count(type: string, filter: Filter<StoredDocument>) {
    return this.db.collection<StoredDocument>(type).countDocuments(this.visible(type, filter));
  }

  /** The query plan for a query exactly as find() would run it (which index served it). */
  async explain(type: string, filter: Filter<StoredDocument>, options: SearchFindOptions): Promise<Record<string, unknown>> {
    return (await this.db.collection<StoredDocument>(type).find(this.visible(type, filter), options).explain()) as Record<string, unknown>;
  }
}
