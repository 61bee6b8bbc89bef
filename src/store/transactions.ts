import type { ClientSession, MongoClient } from 'mongodb';

/**
 * How the server runs a transaction, wherever it writes: snapshot reads and a majority-acknowledged commit (an
 * acknowledged write survives the loss of the primary), run again by the driver on a transient error (a write
 * conflict, a failover).
 */
const OPTIONS = { readConcern: { level: 'snapshot' }, writeConcern: { w: 'majority' } } as const;

/** Up to 2, 4, 8, ... 64 ms, at random: how long a transaction waits before it runs again after a conflict. */
function conflictBackoff(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(64, 2 ** attempt)));
}

/** Runs `body` in one transaction on a session of its own and returns what its last (committed) run returned. */
export async function runTransaction<T>(client: MongoClient, body: (session: ClientSession) => Promise<T>): Promise<T> {
  const session = client.startSession();
  try {
    let result: T | undefined;
    let attempt = 0;
    await session.withTransaction(async () => {
      // The driver runs the transaction again at once after a write conflict: transactions meeting on one hot
      // document (the audit chain's next ids, a record's guard) then retry in lockstep and conflict again. A random
      // wait, longer each time, lets one of them through.
      if (attempt++ > 0) await conflictBackoff(attempt);
      result = await body(session);
    }, OPTIONS);
    return result as T;
  } finally {
    await session.endSession();
  }
}
