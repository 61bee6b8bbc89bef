import type { Resource } from 'fhir/r4';
import type { ClientSession, Db, Filter } from 'mongodb';
import { removeBinaryBytes } from '../binary/byte-store';
import { historyIsCurrent } from './append-only-history';
import { type HistoryDocument, type Indexer, type StoredDocument, historyCollectionName, referencesOutside } from './stored-document';

/**
 * Removal for good, the one path that takes versions out of the store: certified destruction of a patient's record
 * (src/destruction/). Every other write keeps history (a DELETE stores a deletion, 410 Gone); here the documents
 * themselves go, current and history alike, so the resource answers as if it had never existed (404). Shared
 * resources that named the patient are rewritten in place, every version, with their search fields computed again
 * from the new text, so the patient's references leave the search index too.
 *
 * It takes no policy: the repository hands it out inside a transaction and under the unrestricted policy only
 * (`Repository.purge`), after destruction has checked the approver's grants, so one batch of records goes or stays
 * as a whole.
 */
export class VersionPurge {
  constructor(
    private readonly db: Db,
    /** The batch's transaction: destruction's own records of the batch commit with it. */
    readonly session: ClientSession,
    private readonly index: Indexer,
  ) {}

  private current(type: string) {
    return this.db.collection<StoredDocument>(type);
  }

  private history(type: string) {
    return this.db.collection<HistoryDocument>(historyCollectionName(type));
  }

  /** Current documents of `type` (deletion markers included) matching `filter`, with the fields `projection` keeps. */
  findCurrent(type: string, filter: Filter<StoredDocument>, projection: Record<string, 0 | 1>): Promise<StoredDocument[]> {
    return this.current(type).find(filter, { session: this.session, projection }).toArray();
  }

  /** History documents of `type` matching `filter` (none for an append-only type, whose history is its current document). */
  findHistory(type: string, filter: Filter<HistoryDocument>): Promise<HistoryDocument[]> {
    if (historyIsCurrent(type)) return Promise.resolve([]);
    return this.history(type).find(filter, { session: this.session }).toArray();
  }

  /** Removes the resources `ids` of `type` with every version; resolves with the documents removed. */
  async removeResources(type: string, ids: readonly string[]): Promise<{ current: number; history: number }> {
    if (ids.length === 0) return { current: 0, history: 0 };
    const current = await this.current(type).deleteMany({ _id: { $in: [...ids] } }, { session: this.session });
    const history = historyIsCurrent(type) ? { deletedCount: 0 } : await this.history(type).deleteMany({ id: { $in: [...ids] } }, { session: this.session });
    // A Binary's bytes out of line (GridFS), every version's, go with it.
    if (type === 'Binary') await removeBinaryBytes(this.db, this.session, { ids });
    return { current: current.deletedCount, history: history.deletedCount };
  }

  /** Removes single past versions (`id/vid` keys) of resources that stay. */
  async removeVersions(type: string, keys: readonly string[]): Promise<number> {
    if (keys.length === 0 || historyIsCurrent(type)) return 0;
    if (type === 'Binary') await removeBinaryBytes(this.db, this.session, { versions: keys });
    return (await this.history(type).deleteMany({ _id: { $in: [...keys] } }, { session: this.session })).deletedCount;
  }

  /**
   * Replaces the text of the current version `doc` with `resource` (same version id and lastUpdated: the version is
   * the one it was, without what was removed from it) and its search fields with those of the new text.
   */
  async rewriteCurrent(type: string, doc: Pick<StoredDocument, '_id' | 'vid'>, resource: Resource): Promise<void> {
    const { s, c } = this.index(resource);
    const res = await this.current(type).updateOne({ _id: doc._id, vid: doc.vid }, { $set: { r: JSON.stringify(resource), s, c } }, { session: this.session });
    if (res.matchedCount !== 1) throw new Error(`internal: ${type}/${doc._id} changed while its references were removed`);
  }

  /** Replaces the text of one past version, and its compartments and other patient references with those of the new text. */
  async rewriteVersion(type: string, doc: Pick<HistoryDocument, '_id'>, resource: Resource): Promise<void> {
    const { s, c } = this.index(resource);
    const pr = referencesOutside({ s, c });
    const update = pr.length ? { $set: { r: JSON.stringify(resource), c, pr } } : { $set: { r: JSON.stringify(resource), c }, $unset: { pr: '' as const } };
    await this.history(type).updateOne({ _id: doc._id }, update, { session: this.session });
  }
}
