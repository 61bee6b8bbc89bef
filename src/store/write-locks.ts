import { createHash } from 'node:crypto';
import type { Db } from 'mongodb';
import { ensureCollection } from './ensure-collection';
import type { Repository } from './repository';

/**
 * Write locks: keys that concurrent transactions meet on. Snapshot isolation lets two transactions that each read
 * "nothing there yet" both write (two conditional creates of one identifier both find no match and both create).
 * A transaction that locks a key writes, and removes again, one document named by it; a second transaction doing the
 * same before the first commits is a write conflict, and the driver runs it again on a later snapshot, where it sees
 * what the first wrote. Nothing stays in the collection: the lock is the uncommitted write itself.
 */
export const WRITE_LOCKS_COLLECTION = 'write_locks';

/** Creates the collection before any transaction writes it (MongoDB creates none inside one). */
export const ensureWriteLocks = (db: Db): Promise<void> => ensureCollection(db, WRITE_LOCKS_COLLECTION);

/**
 * The lock of a conditional create: its type and criteria, whatever order the parameters came in, hashed whole: the
 * type is not validated yet when a transaction entry locks it, and a key must stay short whatever a client sent.
 */
export function criteriaLockKey(type: string, criteria: ReadonlyArray<readonly [string, string]>): string {
  const canonical = [...criteria].map(([k, v]) => `${k}=${v}`).sort();
  return `create?${createHash('sha256')
    .update(JSON.stringify([type, canonical]))
    .digest('base64url')}`;
}

/** Locks `key` for the rest of `repo`'s transaction (see above); outside a transaction there is nothing to race. */
export async function lockForWrite(repo: Repository, key: string): Promise<void> {
  if (!repo.inTransactionNow) return;
  const locks = repo.db.collection<{ _id: string; n: number }>(WRITE_LOCKS_COLLECTION);
  await locks.updateOne({ _id: key }, { $inc: { n: 1 } }, { ...repo.sessionOptions, upsert: true });
  await locks.deleteOne({ _id: key }, repo.sessionOptions);
}
