/**
 * Open cursors: the rest of a find/aggregate, handed out in batches by getMore. A cursor holds an iterator: a find
 * that needs no blocking sort reads the index as batches are asked for, so a large result is never held whole.
 */
import { BSON, Long } from 'bson';
import { CommandError } from '../errors';
import { StoredDocument, projectedBytes, storedBytesOf } from '../engine/stored-bytes';
import type { Doc } from './context';

/** How a cursor's documents go into batches. */
export interface BatchRules {
  /** Applied to each document as it goes into a batch (a projection). */
  map?: (doc: Doc) => Doc;
  /**
   * The document read ahead as it is now (null: deleted, or no longer a match), before a later getMore hands it out:
   * a document deleted after the batch before it was read never comes back.
   */
  refresh?: (doc: Doc) => Doc | null;
  /**
   * Documents that come from the store are answered with the bytes they are stored in (engine/stored-bytes.ts),
   * neither measured nor serialised again; with `map`, which must then be a plain projection, the values it keeps
   * are copied from those bytes.
   */
  stored?: boolean;
}

/** A batch: documents to serialise, and documents answered with their stored bytes. */
type BatchEntry = Doc | StoredDocument;

interface OpenCursor {
  ns: string;
  source: Iterator<Doc>;
  rules: BatchRules;
  /** Read ahead to learn whether anything is left; first in the next batch. */
  pending: Doc;
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
  first(ns: string, docs: Doc[] | Iterator<Doc>, batchSize: number | undefined, single: boolean, sessionKey?: string, rules: BatchRules = {}): Doc {
    const source = Array.isArray(docs) ? docs[Symbol.iterator]() : docs;
    const size = batchSize === undefined || batchSize < 0 ? DEFAULT_FIRST_BATCH : batchSize;
    const { batch, next } = takeBatch(source, undefined, size, rules);
    let id = Long.ZERO;
    if (next !== undefined && !single) {
      this.next += 1n;
      id = Long.fromBigInt(this.next);
      this.open.set(id.toString(), { ns, source, rules, pending: next, sessionKey, lastUse: Date.now() });
    }
    return { cursor: { firstBatch: batch, id, ns }, ok: 1 };
  }

  more(id: unknown, ns: string, batchSize: number | undefined): Doc {
    const key = String(id);
    const c = this.open.get(key);
    if (!c) throw new CommandError(43, 'CursorNotFound', `cursor id ${key} not found`);
    if (c.ns !== ns) throw new CommandError(13, 'Unauthorized', `Requested getMore on namespace '${ns}', but cursor belongs to a different namespace ${c.ns}`);
    c.lastUse = Date.now();
    const pending = c.rules.refresh ? (c.rules.refresh(c.pending) ?? undefined) : c.pending;
    const { batch, next } = takeBatch(c.source, pending, batchSize && batchSize > 0 ? batchSize : Number.POSITIVE_INFINITY, c.rules);
    let outId: Long = Long.fromString(key);
    if (next === undefined) {
      this.open.delete(key);
      outId = Long.ZERO;
    } else c.pending = next;
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

/** Up to `count` documents (fewer when the reply would pass the size limit), and the next one if any is left. */
function takeBatch(source: Iterator<Doc>, pending: Doc | undefined, count: number, rules: BatchRules): { batch: BatchEntry[]; next: Doc | undefined } {
  const batch: BatchEntry[] = [];
  let bytes = 0;
  let next = pending ?? pull(source);
  while (next !== undefined && batch.length < count) {
    const out = entryOf(next, rules);
    bytes += out instanceof StoredDocument ? out.bytes.length : BSON.calculateObjectSize(out);
    if (bytes > MAX_BATCH_BYTES && batch.length > 0) break;
    batch.push(out);
    next = pull(source);
  }
  return { batch, next };
}

/** A document as it goes into a batch: projected, and built from its stored bytes where it has them. */
function entryOf(doc: Doc, rules: BatchRules): BatchEntry {
  const out = rules.map ? rules.map(doc) : doc;
  const stored = rules.stored ? storedBytesOf(doc) : undefined;
  if (stored === undefined) return out;
  const bytes = rules.map ? projectedBytes(stored, doc, out) : stored;
  return bytes ? new StoredDocument(bytes) : out;
}

function pull(source: Iterator<Doc>): Doc | undefined {
  const r = source.next();
  return r.done ? undefined : r.value;
}
