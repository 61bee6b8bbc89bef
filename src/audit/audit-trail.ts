import type { AuditEvent, Parameters } from 'fhir/r4';
import type { Db } from 'mongodb';
import { SearchContext } from '../search/context';
import { buildSearchIndex } from '../search/index-builder';
import { AuditCollection } from '../store/audit-collection';
import { auditEventIndexer } from './audit-index';
import { type Indexer, type SearchFields, storedDocumentOf } from '../store/stored-document';
import type { AuditInput } from './audit-input';
import { type AuditSource, buildAuditEvent } from './balp';
import { disclosureKey } from './disclosure-shape';
import { CHAIN_ID_RANGE, type ChainLink, GENESIS_HASH, chainEvent, readLink, unchainedContent } from './hash-chain';
import { type FailedLoginOptions, FailedLogins, isFailedLogin } from './failed-logins';
import { type Submitter, markServerEvent, markSubmitted } from './origin';
import { wellFormedJson } from './untrusted-text';
import { reportToParameters, walkChain } from './verify-chain';

export interface AuditTrailOptions extends AuditSource {
  /** Aggregation of failed logins (src/audit/failed-logins.ts). */
  failedLogins?: FailedLoginOptions;
  /**
   * Search index of a stored event (`s`/`c`): the server's index-on-write. Absent (tests of the trail alone): the
   * search layer's `buildSearchIndex` with R4's parameters and `baseUrl`.
   */
  index?: Indexer;
  /**
   * The server's search context (the one `index` indexes with): the trail's own events are then indexed directly
   * (src/audit/audit-index.ts), with `index` checking them ($verify-chain) and taking any they do not fit.
   */
  search?: SearchContext;
  /** Creates the AuditEvent collections' indexes; awaited once before the first write. */
  ensureCollections?: () => Promise<void>;
  /**
   * Replaces identifying text of new events before they are indexed, chained and stored (the query text sealed
   * under the named patients' keys, src/audit/query-text.ts); awaited once per event.
   */
  protect?: (events: AuditEvent[]) => Promise<AuditEvent[]>;
  /** Where failures to write go (besides the requests waiting on the write, which are refused). Default: stderr. */
  onError?: (message: string, err?: unknown) => void;
  /** Events written per batch (default 100: larger batches stall the event loop longer in BSON encoding). */
  maxBatch?: number;
  /** Events held while the database is unreachable (default 100,000); beyond that new events are dropped, loudly. */
  maxQueue?: number;
  /** Write attempts `close` makes before giving up (default 8, about 13 s of back-off). */
  closeAttempts?: number;
}

interface Pending {
  event: AuditEvent;
  /** Search index of the event, computed once (the chain fields it gains later are not indexed). */
  index?: SearchFields;
  /** The request an event of `record` is for: recorded again as not answered when its write fails. */
  input?: AuditInput;
  /** A request waiting for the event (`record`, `submit`): settles when the event is stored, or its write failed. */
  settle?: { resolve: (e: AuditEvent) => void; reject: (err: unknown) => void };
}

/** What an event says of a request refused because its event could not be stored when it was due. */
export const UNANSWERED = 'not answered: its audit event could not be stored';

/** Events indexed or chained between two yields to the event loop, so a batch never stalls requests for long. */
const SLICE = 16;
const yieldToRequests = () => new Promise<void>((resolve) => setImmediate(resolve));
/** Re-chainings of one batch after another writer took its ids, before the batch is given up (and retried later). */
const MAX_COLLISIONS = 20;
const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 5_000;
/** Longest pause before the next write after a failed one while serving: requests meanwhile wait for that write. */
const SERVING_RETRY_MAX_MS = 1_000;

/** Index-on-write with R4's search parameters at `baseUrl`, for a trail without a server's (its tests). */
function searchIndexAt(baseUrl: string): { search: SearchContext; index: Indexer } {
  const search = new SearchContext({ baseUrl });
  return { search, index: (resource) => buildSearchIndex(search, resource) };
}

/**
 * The audit trail: AuditEvents hash-chained to the one before, each stored before the request it records is answered.
 *
 * Group commit: `record` queues a request's event and resolves once the event is stored; one writer stores the queue
 * in batches, one transaction each (committed under the same write concern and fsync policy as a resource's write),
 * and releases every request of a batch when its transaction is acknowledged. A lone event is written at once (on the
 * next turn of the event loop, so the requests finishing in the same turn join it, never after a timer); events
 * recorded while a batch is being written form the next one. A failed write refuses the requests waiting on it
 * (the HTTP layer answers 503: nothing is disclosed without its event) and keeps their events, recorded as not
 * answered, for the next write.
 *
 * Ordering: one process writes its batches one at a time, so its events form one chain. Several server instances
 * sharing a database each write batches whose first id is their view of head+1; event ids are the sequence, so a
 * second writer's insert fails with a duplicate key inside its transaction, which it answers by re-reading the
 * head and re-chaining the batch on top. The chain stays linear across instances at the price of a retry per
 * collision (the events' own `recorded` times may then interleave out of order; the chain order is storage order).
 */
export class AuditTrail {
  private readonly queue: Pending[] = [];
  private head: ChainLink | undefined;
  /** The newest event this process stored, to detect truncation. */
  private written: ChainLink | undefined;
  private writing: Promise<void> | undefined;
  /** A write is due on the next turn of the event loop. */
  private due = false;
  /** The pause after a failed write. */
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private closed = false;
  private ensured: Promise<void> | undefined;
  private readonly opts: Required<Omit<AuditTrailOptions, 'ensureCollections' | 'failedLogins' | 'protect' | 'search'>> & AuditTrailOptions;
  private readonly failedLogins: FailedLogins;
  private readonly collection: AuditCollection;
  /** How the trail indexes the events it writes (`opts.index` stays the reference the chain check uses). */
  private readonly indexEvent: Indexer;

  constructor(db: Db, options: AuditTrailOptions) {
    this.collection = new AuditCollection(db);
    const own = options.index ? undefined : searchIndexAt(options.baseUrl);
    const index = options.index ?? own!.index;
    const search = options.search ?? own?.search;
    this.indexEvent = search ? auditEventIndexer(search, index) : index;
    this.opts = {
      onError: (message, err) => console.error(`[audit] ${message}`, err ?? ''),
      maxBatch: 100,
      maxQueue: 100_000,
      closeAttempts: 8,
      ...options,
      index,
    };
    this.failedLogins = new FailedLogins(
      (input) => this.serverEvent(input),
      (event) => this.enqueue({ event }),
      options.failedLogins,
    );
  }

  /** Events waiting to be written. */
  get pending(): number {
    return this.queue.length;
  }

  /**
   * Records one request: resolves once its event is stored, as durable as an acknowledged write; rejects when it could
   * not be (the request must then not be answered as carried out). Failed logins are the exception: counted and
   * written aggregated later (src/audit/failed-logins.ts), they resolve at once.
   */
  record(input: AuditInput): Promise<void> {
    try {
      if (isFailedLogin(input)) {
        this.failedLogins.add(input);
        return Promise.resolve();
      }
      const event = this.serverEvent(input);
      return new Promise((resolve, reject) => {
        if (!this.enqueue({ event, input, settle: { resolve: () => resolve(), reject } })) reject(new Error('the audit trail is not accepting events'));
      });
    } catch (err) {
      this.opts.onError('could not build an audit event', err);
      return Promise.reject(err);
    }
  }

  /** Queues an event the server records of its own work, outside any request (a destruction's batches). */
  recordEvent(event: AuditEvent): void {
    this.enqueue({ event: markServerEvent(event) });
  }

  private serverEvent(input: AuditInput): AuditEvent {
    return markServerEvent(buildAuditEvent(input, this.opts, input.recorded ?? new Date()));
  }

  /**
   * Appends a client-supplied AuditEvent (POST AuditEvent) to the chain, marked as submitted by `by` (src/audit/
   * origin.ts); resolves with it as stored.
   */
  submit(event: AuditEvent, by: Submitter): Promise<AuditEvent> {
    return new Promise((resolve, reject) => {
      const { id: _id, ...content } = event;
      if (!this.enqueue({ event: markSubmitted(content as AuditEvent, by), settle: { resolve, reject } })) {
        reject(new Error('the audit trail is not accepting events'));
      }
    });
  }

  private enqueue(p: Pending): boolean {
    if (this.closed) {
      this.opts.onError(`event after close, not recorded: ${JSON.stringify(p.event)}`);
      return false;
    }
    if (this.queue.length >= this.opts.maxQueue) {
      this.opts.onError(`audit queue full (${this.opts.maxQueue}); event dropped: ${JSON.stringify(p.event)}`);
      return false;
    }
    // What is indexed, hashed and stored must be the same text (src/audit/untrusted-text.ts).
    p.event = wellFormedJson(p.event);
    this.queue.push(p);
    this.schedule();
    return true;
  }

  /** Starts a writer on the next turn unless one runs (it takes the queue when its batch is stored) or waits. */
  private schedule(): void {
    if (this.writing || this.timer || this.due) return;
    this.due = true;
    setImmediate(() => {
      this.due = false;
      void this.drain().catch(() => undefined);
    });
  }

  private startTimer(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.drain().catch(() => undefined);
    }, delayMs);
    this.timer.unref();
  }

  /** Writes until the queue is empty; one writer at a time. Rejects on the first failed batch (kept for retry). */
  private drain(): Promise<void> {
    if (this.writing) return this.writing;
    const run = async () => {
      try {
        while (this.queue.length) {
          await this.writeBatch(this.queue.slice(0, this.opts.maxBatch));
          // Group commit under load: the answers of other requests that arrived with this commit's are processed
          // first, one turn of the event loop (never a timer: the loop goes on at once when the queue is empty), so
          // their events join the next batch instead of the one after.
          if (this.queue.length && this.queue.length < this.opts.maxBatch) await yieldToRequests();
        }
        this.failures = 0;
      } catch (err) {
        this.failures++;
        const delay = Math.min(SERVING_RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(this.failures, 10));
        this.opts.onError(`writing ${this.queue.length} audit events failed; retrying in ${delay} ms`, err);
        this.refuseWaiting(err);
        if (!this.closed) this.startTimer(delay);
        throw err;
      }
    };
    // Cleared in a later tick, so a run that finishes at once cannot leave a stale promise behind; an event queued
    // between the run's last look at the queue and this tick starts the next writer.
    const writing: Promise<void> = run().finally(() => {
      if (this.writing !== writing) return;
      this.writing = undefined;
      if (this.queue.length) this.schedule();
    });
    this.writing = writing;
    return writing;
  }

  /**
   * After a failed write: every request waiting is refused now rather than held through the pause. A request's event
   * stays queued, recorded again as not answered (the access was attempted, and a write it made is stored); an event
   * a client submitted is dropped, since the client is told it was not stored and may send it again.
   */
  private refuseWaiting(err: unknown): void {
    const kept: Pending[] = [];
    for (const p of this.queue) {
      const settle = p.settle;
      p.settle = undefined;
      settle?.reject(err);
      if (p.input && settle) kept.push(this.unanswered(p));
      else if (!settle) kept.push(p);
    }
    this.queue.splice(0, this.queue.length, ...kept);
  }

  private unanswered(p: Pending): Pending {
    const input = { ...p.input!, status: 503, outcomeDescription: UNANSWERED, recorded: new Date(p.event.recorded) };
    return { event: wellFormedJson(this.serverEvent(input)), input };
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    if (this.opts.ensureCollections) {
      this.ensured ??= this.opts.ensureCollections().catch((err) => {
        this.ensured = undefined;
        throw err;
      });
      await this.ensured;
    }
    const fresh = batch.filter((p) => !p.index);
    if (this.opts.protect && fresh.length) {
      const out = await this.opts.protect(fresh.map((p) => p.event));
      fresh.forEach((p, i) => (p.event = out[i]));
    }
    for (let i = 0; i < batch.length; i++) {
      batch[i].index ??= this.indexEvent(batch[i].event);
      if (i % SLICE === SLICE - 1) await yieldToRequests();
    }
    for (let attempt = 0; ; attempt++) {
      this.head ??= await this.readHead();
      const now = new Date();
      let link = this.head;
      const events: AuditEvent[] = [];
      for (const p of batch) {
        const chained = chainEvent(p.event, link.sequence + 1, link.hash, now);
        link = readLink(chained)!;
        events.push(chained);
        if (events.length % SLICE === 0) await yieldToRequests();
      }
      // Until the batch is stored the head is unknown: a failed write or another writer may have moved it.
      this.head = undefined;
      if (!(await this.insert(batch, events, now))) {
        if (attempt < MAX_COLLISIONS) continue; // re-read the head, re-chain, retry
        throw new Error(`the audit trail's next ids were taken by another writer ${attempt + 1} times in a row`);
      }
      this.head = link;
      this.written = link;
      this.queue.splice(0, batch.length);
      batch.forEach((p, i) => p.settle?.resolve(events[i]));
      return;
    }
  }

  /**
   * A batch is stored whole or not at all; false when an id was taken (the batch must be re-chained). Each event is
   * version 1 of its resource and its own history (src/store/append-only-history.ts). An event recording a disclosure
   * carries its key (`d`), by which the accounting finds it.
   */
  private insert(batch: Pending[], events: AuditEvent[], lu: Date): Promise<boolean> {
    return this.collection.insertAll(
      events.map((event, i) => {
        const doc = storedDocumentOf(event.id as string, 1, lu, event, batch[i].index!);
        const d = disclosureKey(event);
        return d ? { ...doc, d } : doc;
      }),
    );
  }

  /** The newest chained event in the database, or the genesis link of an empty trail. */
  private async readHead(): Promise<ChainLink> {
    const doc = await this.collection.last(CHAIN_ID_RANGE);
    if (!doc) return { sequence: 0, previous: GENESIS_HASH, hash: GENESIS_HASH };
    const link = readLink(JSON.parse(doc.r) as AuditEvent);
    if (!link) throw new Error(`audit event ${doc._id} has no chain link: run AuditEvent/$verify-chain`);
    return link;
  }

  /** Resolves when every event queued before the call is stored; rejects if a write fails (events stay queued). */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.writing) await this.writing.catch(() => undefined);
    if (this.queue.length) await this.drain();
  }

  /**
   * Stops accepting events and writes what is queued, retrying for a while. If the database stays unreachable
   * the events still unwritten are logged in full through `onError` (so a clean shutdown loses none) and close
   * rejects.
   */
  async close(): Promise<void> {
    this.failedLogins.closeAll();
    this.closed = true;
    let lastError: unknown;
    for (let attempt = 0; attempt < this.opts.closeAttempts; attempt++) {
      try {
        await this.flush();
        return;
      } catch (err) {
        lastError = err;
        if (attempt + 1 < this.opts.closeAttempts) {
          await new Promise((r) => setTimeout(r, Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** attempt)));
        }
      }
    }
    if (this.timer) clearTimeout(this.timer);
    for (const p of this.queue.splice(0)) {
      this.opts.onError(`unwritten audit event: ${JSON.stringify(p.event)}`);
      p.settle?.reject(lastError);
    }
    throw new Error(`audit trail closed with unwritten events: ${(lastError as Error)?.message ?? lastError}`);
  }

  /** `GET AuditEvent/$verify-chain`: whether the trail is intact, and where it was broken. */
  async verifyChain(): Promise<Parameters> {
    // The trail checked accounts for the failed logins so far: counts still open are written first, once per
    // window (src/audit/failed-logins.ts); what stays pending is reported, so the check says what it leaves out.
    this.failedLogins.writePending();
    await this.flush().catch(() => undefined);
    const report = await walkChain(this.collection.inIdOrder(), this.written, (r) => this.opts.index(wellFormedJson(unchainedContent(r as AuditEvent))));
    const result = reportToParameters(report);
    result.parameter?.push({ name: 'failedLoginsPending', valueInteger: this.failedLogins.pending });
    return result;
  }
}
