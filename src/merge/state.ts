import type { Db } from 'mongodb';
import { conflict } from '../errors/operation-outcome-error';
import type { Repository } from '../store/repository';
import { guardState } from './guard-state';
import { ensureCollection } from '../store/ensure-collection';
import { flagEveryGuard, recordGuardKey, touchEveryGuard } from '../retention/hold-guard';
import { MERGE_STATE_COLLECTION, activeLock, type MergeLock, type PatientMergeState } from './state-document';

export { MERGE_STATE_COLLECTION, activeLock, type MergeLock, type PatientMergeState } from './state-document';

/** The state documents, read and written in the transaction of the repository given, if any. */
export class MergeStates {
  constructor(private readonly repo: Repository) {}

  /**
   * This transaction changes these patients' state itself: the guard's check before the commit leaves them out. It
   * also sets the `merge` flag on every guard of their records (src/retention/hold-guard.ts), once per transaction:
   * a write in one of them then reads the state, and one running now meets this transaction on its guard.
   */
  private async own(ids: readonly string[]): Promise<void> {
    if (!this.repo.inTransactionNow) return flagEveryGuard(this.repo.db, ids.map(recordGuardKey), { merge: true });
    const own = guardState(this.repo).own;
    const fresh = ids.filter((id) => !own.has(id));
    for (const id of fresh) own.add(id);
    if (fresh.length) await touchEveryGuard(this.repo, fresh.map(recordGuardKey), { merge: true });
  }

  private get collection() {
    return this.repo.db.collection<PatientMergeState>(MERGE_STATE_COLLECTION);
  }

  async of(ids: readonly string[]): Promise<PatientMergeState[]> {
    if (ids.length === 0) return [];
    return this.collection.find({ _id: { $in: [...ids] } }, this.repo.sessionOptions).toArray();
  }

  async get(id: string): Promise<PatientMergeState | null> {
    return this.collection.findOne({ _id: id }, this.repo.sessionOptions);
  }

  /** The patients merged into `id` (each keeps its replaced-by link to `id` when `id` is merged on: the chain). */
  async mergedInto(id: string): Promise<string[]> {
    return (await this.collection.find({ mergedInto: id }, { ...this.repo.sessionOptions, projection: { _id: 1 } }).toArray()).map((s) => s._id);
  }

  /** Where a merged patient's record is now: the last patient of its chain of merges (A into B, B into C: C). */
  async finalTarget(id: string): Promise<string> {
    let at = id;
    const seen = new Set([id]);
    for (let state = await this.get(at); state?.mergedInto && !seen.has(state.mergedInto); state = await this.get(at)) {
      at = state.mergedInto;
      seen.add(at);
    }
    return at;
  }

  /**
   * Locks both patients for merge `merge`, or renews its locks (a job's lease), or refuses (409) when another merge
   * holds either. In its own transaction.
   */
  async lock(merge: string, source: string, target: string, seconds: number): Promise<void> {
    await this.repo.inTransaction(async (tx) => {
      const states = new MergeStates(tx);
      const held = new Map((await states.of([source, target])).map((s) => [s._id, s.lock]));
      for (const [id, lock] of held) {
        if (activeLock({ _id: id, lock }) && lock?.merge !== merge) {
          throw conflict(`Patient/${id} is being merged with Patient/${lock?.other}: try again when that merge has finished`);
        }
      }
      const until = new Date(Date.now() + seconds * 1000);
      const own = (id: string) => (held.get(id)?.merge === merge ? held.get(id)?.provenance : undefined);
      await states.setLock(source, { merge, role: 'source', other: target, until, provenance: own(source) ?? [] });
      await states.setLock(target, { merge, role: 'target', other: source, until });
    });
  }

  private async setLock(id: string, lock: MergeLock): Promise<void> {
    await this.own([id]);
    await this.collection.updateOne({ _id: id }, { $set: { lock } }, { ...this.repo.sessionOptions, upsert: true });
  }

  /** Lifts the locks of merge `merge` (whatever else has happened to the patients). */
  async unlock(merge: string, ids: readonly string[]): Promise<void> {
    await this.own(ids);
    await this.collection.updateMany({ _id: { $in: [...ids] }, 'lock.merge': merge }, { $unset: { lock: '' } }, this.repo.sessionOptions);
  }

  /**
   * Inside a transaction of merge `merge`: lifts its locks for this transaction's own writes (the guard reads the
   * state in the transaction) and returns how to put them back before the commit, with a Provenance of this
   * transaction added to the source's. Others see the locks throughout.
   */
  async suspend(merge: string, source: string, target: string): Promise<(provenance: string) => Promise<void>> {
    const locks = new Map((await this.of([source, target])).map((s) => [s._id, s.lock]));
    await this.unlock(merge, [source, target]);
    return async (provenance) => {
      for (const [id, lock] of locks) {
        if (lock?.merge !== merge) continue;
        await this.setLock(id, id === source ? { ...lock, provenance: [...(lock.provenance ?? []), provenance] } : lock);
      }
    };
  }

  /** The Provenances of the batches merge `merge` has committed so far (on the source's lock). */
  async batches(merge: string, source: string): Promise<string[]> {
    const lock = (await this.get(source))?.lock;
    return lock?.merge === merge ? (lock.provenance ?? []) : [];
  }

  async markMerged(source: string, target: string, provenance: string[]): Promise<void> {
    await this.own([source]);
    await this.collection.updateOne({ _id: source }, { $set: { mergedInto: target, provenance, mergedAt: new Date() } }, { ...this.repo.sessionOptions, upsert: true });
  }

  async addProvenance(source: string, provenance: string): Promise<void> {
    await this.own([source]);
    await this.collection.updateOne({ _id: source }, { $push: { provenance } }, this.repo.sessionOptions);
  }

  /**
   * Inside a transaction of an unmerge job: the source no longer recorded as merged for this transaction's own writes
   * (they restore references to it, which the guard refuses to a merged-away patient), and how to record it again,
   * as it was, before the commit. Others see it merged throughout.
   */
  async suspendMerged(source: string): Promise<() => Promise<void>> {
    const state = await this.get(source);
    await this.clearMerged(source);
    return async () => {
      if (!state?.mergedInto) return;
      await this.own([source]);
      const { mergedInto, provenance, mergedAt } = state;
      await this.collection.updateOne({ _id: source }, { $set: { mergedInto, provenance, mergedAt } }, this.repo.sessionOptions);
    };
  }

  async clearMerged(source: string): Promise<void> {
    await this.own([source]);
    await this.collection.updateOne({ _id: source }, { $unset: { mergedInto: '', provenance: '', mergedAt: '' } }, this.repo.sessionOptions);
  }
}

/** Creates the collection before any transaction uses it (MongoDB creates none inside one). */
export const ensureMergeStateCollection = (db: Db): Promise<void> => ensureCollection(db, MERGE_STATE_COLLECTION);
