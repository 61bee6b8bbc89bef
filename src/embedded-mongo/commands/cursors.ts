/** Open cursors: the remaining documents of a find/aggregate, handed out in batches by getMore. */
import { BSON, Long } from 'bson';
import { CommandError } from '../errors';
import type { Doc } from './context';

interface OpenCursor {
  ns: string;
  docs: Doc[];
  pos: number;
  sessionKey?: string;
  lastUse: number;
}

/** Replies must stay under the 16 MiB BSON document limit; leave room for the envelope. */
const MAX_BATCH_BYTES = 16 * 1024 * 1024 - 64 * 1024;
const DEFAULT_FIRST_BATCH = 101;

export class CursorRegistry {
  private readonly open = new Map<string, OpenCursor>();
  private next = BigInt(Date.now()) * 1000n;

  /** Builds the `cursor` reply of a find/aggregate, keeping the rest for getMore. */
  first(ns: string, docs: Doc[], batchSize: number | undefined, single: boolean, sessionKey?: string): Doc {
    const size = batchSize === undefined || batchSize < 0 ? DEFAULT_FIRST_BATCH : batchSize;
    const batch = takeBatch(docs, 0, size === 0 && batchSize === 0 ? 0 : size);
    let id = Long.ZERO;
    if (batch.length < docs.length && !single) {
      this.next += 1n;
      id = Long.fromBigInt(this.next);
      this.open.set(id.toString(), { ns, docs, pos: batch.length, sessionKey, lastUse: Date.now() });
    }
    return { cursor: { firstBatch: batch, id, ns }, ok: 1 };
  }

  more(id: unknown, ns: string, batchSize: number | undefined): Doc {
    const key = String(id);
    const c = this.open.get(key);
    if (!c) throw new CommandError(43, 'CursorNotFound', `cursor id ${key} not found`);
    if (c.ns !== ns) throw new CommandError(13, 'Unauthorized', `Requested getMore on namespace '${ns}', but cursor belongs to a different namespace ${c.ns}`);
    c.lastUse = Date.now();
    const batch = takeBatch(c.docs, c.pos, batchSize && batchSize > 0 ? batchSize : Number.POSITIVE_INFINITY);
    c.pos += batch.length;
    let outId: Long = Long.fromString(key);
    if (c.pos >= c.docs.length) {
      this.open.delete(key);
      outId = Long.ZERO;
    }
    return { cursor: { nextBatch: batch, id: outId, ns }, ok: 1 };
  }

  kill(ids: unknown[]): Doc {
    const killed: unknown[] = [];
    const notFound: unknown[] = [];
    for (const id of ids) (this.open.delete(String(id)) ? killed : notFound).push(id);
    return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [], ok: 1 };
  }

  killSession(sessionKey: string): void {
    for (const [k, c] of this.open) if (c.sessionKey === sessionKey) this.open.delete(k);
  }

  /** Closes cursors idle longer than `maxIdleMs` (MongoDB's cursorTimeoutMillis), releasing their results. */
  reap(maxIdleMs: number): void {
    const cutoff = Date.now() - maxIdleMs;
    for (const [k, c] of this.open) if (c.lastUse < cutoff) this.open.delete(k);
  }

  get size(): number {
    return this.open.size;
  }
}

function takeBatch(docs: Doc[], from: number, count: number): Doc[] {
  const end = Math.min(docs.length, from + count);
  if (end - from === 1) return docs.slice(from, end);
  const out: Doc[] = [];
  let bytes = 0;
  for (let i = from; i < end; i++) {
    bytes += BSON.calculateObjectSize(docs[i]);
    if (bytes > MAX_BATCH_BYTES && out.length > 0) break;
    out.push(docs[i]);
  }
  return out;
}
