import { createHash } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import type { ReplayGuard } from './replay-cache';

/** One assertion id used: `_id` the hash of the client and its `jti`, kept until the assertion has expired. */
interface UsedAssertion {
  _id: string;
  expiresAt: Date;
}

export const USED_ASSERTIONS = 'auth_used_assertions';
/** Expired ids are swept at most this often (one indexed delete), by whichever instance records an id then. */
const SWEEP_EVERY_MS = 60_000;

/**
 * Client-assertion ids used, in the store: every server instance sharing it refuses an assertion replayed to any of
 * them (the in-memory ReplayCache protects one process only). The id is the document's `_id`, so of two instances
 * racing to record it exactly one insert succeeds; an expired record is taken over by a conditional update.
 */
export class StoreReplayCache implements ReplayGuard {
  private readonly used: Collection<UsedAssertion>;
  private ready?: Promise<unknown>;
  private lastSweep = 0;

  constructor(
    db: Db,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.used = db.collection<UsedAssertion>(USED_ASSERTIONS);
  }

  async remember(clientAndJti: string, expiresAtMs: number): Promise<'new' | 'replayed'> {
    // Hashed: a jti is the client's text, of any length, and a document's _id must stay short.
    const key = createHash('sha256').update(clientAndJti).digest('base64url');
    this.ready ??= this.used.createIndex({ expiresAt: 1 }).catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    await this.ready;
    const now = this.now();
    if (now - this.lastSweep >= SWEEP_EVERY_MS) {
      this.lastSweep = now;
      await this.used.deleteMany({ expiresAt: { $lte: new Date(now) } });
    }
    const expiresAt = new Date(expiresAtMs);
    try {
      await this.used.insertOne({ _id: key, expiresAt });
      return 'new';
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
    }
    // Recorded before: still live is a replay; expired (not swept yet) may be used again, by one taker only.
    const taken = await this.used.updateOne({ _id: key, expiresAt: { $lte: new Date(now) } }, { $set: { expiresAt } });
    return taken.modifiedCount === 1 ? 'new' : 'replayed';
  }
}
