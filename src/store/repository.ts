import type { Resource } from 'fhir/r4';
import type { ClientSession, Db, Filter, FindOptions } from 'mongodb';
import type { AccessInteraction, AccessPolicy } from '../auth/access-policy';
import { forbidden, gone, notFound } from '../errors/operation-outcome-error';
import { type Access, PolicyFilters, allOf, mayWriteType } from './policy-filter';
import { type HistoryDocument, type StoredDocument, WITHOUT_SEARCH_INDEX } from './stored-document';
import { findHistory, findOneHistory, historySourceName } from './append-only-history';
import { type AccessTrace, traced } from './access-trace';
import { WriteBuffer } from './write-buffer';
import { VersionWrites } from './version-writes';
import { SessionQueue } from './session-queue';
import { CommitChecks } from './commit-checks';
import { runTransaction } from './transactions';
import type { DeleteResult, RepositoryOptions, WriteResult } from './repository-types';

export type { DeleteResult, RepositoryOptions, WriteResult } from './repository-types';
import { type ContextTarget, SecurityContextGate, withResourceText } from './security-context';
import { unrestrictedPolicy } from '../auth/access-policy';
import { RepositoryWrites, type UpdateOptions } from './repository-writes';
import { VersionPurge } from './purge';

/**
 * The one gateway to stored resources. Every method applies the caller's AccessPolicy: `allows` for the
 * interaction and the compartment bound for the data, so callers (interactions, search, bundles, export) cannot
 * forget it. A repository bound to a session (`inTransaction`) runs every call inside that MongoDB transaction.
 */
export class Repository {
  private readonly filters: PolicyFilters;
  private readonly gate: SecurityContextGate;
  /** create, update, delete (src/store/repository-writes.ts). */
  private readonly writer: RepositoryWrites;

  constructor(
    private readonly opts: RepositoryOptions,
    readonly policy: AccessPolicy,
    private readonly session?: ClientSession,
    /** Records what this request's repository returned or wrote, for the audit trail. */
    readonly trace?: AccessTrace,
    /** Inserts deferred inside a transaction (see WriteBuffer); absent outside transactions. */
    private readonly buffer?: WriteBuffer,
    /** Serialises fanned-out reads inside a transaction (see SessionQueue). */
    private readonly queue?: SessionQueue,
    /** Run just before a transaction commits (see CommitChecks). */
    private readonly checks?: CommitChecks,
  ) {
    this.filters = new PolicyFilters(policy, opts.compileRestriction);
    this.gate = new SecurityContextGate(policy);
    this.writer = new RepositoryWrites({
      repo: this,
      opts,
      filters: this.filters,
      gate: this.gate,
      writes: new VersionWrites(opts.db, session, buffer),
      session,
      current: (type) => this.current(type),
      findCurrent: (type, id) => this.findCurrent(type, id),
      hasMatch: (type, filter) => this.hasMatch(type, filter),
      readableTarget: this.readableTarget,
      inTransaction: (fn) => this.inTransaction((repo) => fn(repo.writer)),
      inSession: (probe) => new Repository(opts, policy, probe).writer,
    });
  }

  get db(): Db {
    return this.opts.db;
  }

  /** A repository for another caller over the same store. */
  as(policy: AccessPolicy, trace?: AccessTrace): Repository {
    return new Repository(this.opts, policy, this.session, trace ?? this.trace, this.buffer, this.queue, this.checks);
  }

  /**
   * The server's own bookkeeping inside this repository's transaction (a write hook updating derived records): the
   * unrestricted policy, and no trace, so the caller's AuditEvent lists what the caller did, not what it caused.
   */
  privileged(): Repository {
    return new Repository(this.opts, unrestrictedPolicy, this.session, undefined, this.buffer, this.queue, this.checks);
  }

  /**
   * Options that run a call on one of the server's bookkeeping collections (not a resource type, so no policy and no
   * history: a patient merge's state) inside this repository's transaction, when it is in one.
   */
  get sessionOptions(): { session?: ClientSession } {
    return { session: this.session };
  }

  /**
   * The purge path of certified destruction (src/store/purge.ts), its only user: removes versions for good. Only in
   * a transaction, so a batch goes as a whole, and only for the server's own work (`privileged()`): the approver's
   * grants are checked before the destruction starts.
   */
  purge(): VersionPurge {
    if (!this.session || !this.policy.unrestricted) throw new Error('internal: purging needs a privileged repository inside a transaction');
    return new VersionPurge(this.opts.db, this.session, this.opts.index);
  }

  /** Creates collections and indexes for types a transaction will write (must precede the transaction). */
  async ensureTypes(types: Iterable<string>): Promise<void> {
    await Promise.all([...new Set(types)].map((t) => this.opts.ensureType(t)));
  }

  /**
   * `Type/id`s a transaction will create in later entries: references to them count as resolvable while the
   * earlier entries are validated (spec: a bundle's entries may reference each other in any order).
   */
  readonly pendingIds = new Set<string>();

  /**
   * Does `type/id` exist, live, as far as the caller may know? (Reference validation: a hidden resource must answer
   * like a missing one.) See `PolicyFilters.referable`.
   */
  async exists(type: string, id: string): Promise<boolean> {
    if (this.pendingIds.has(`${type}/${id}`)) return true;
    return this.queue ? this.queue.run(() => this.existsNow(type, id)) : this.existsNow(type, id);
  }

  private async existsNow(type: string, id: string): Promise<boolean> {
    const filter = allOf({ _id: id, del: false }, ...this.filters.referable(type));
    if (!this.gate.applies(type)) return this.hasMatch(type, filter);
    // A Binary exists for the caller only when its securityContext target does: otherwise a reference check
    // ($validate, a write naming Binary/x) would confirm another patient's document Binary.
    await this.flush(type);
    const doc = await this.current(type).findOne(filter, { session: this.session, projection: { r: 1 } });
    return doc !== null && !(await this.gate.hides(type, doc, (t) => this.existsNow(t.type, t.id)));
  }

  /** Does any current document of `type` match `filter` (no policy added)? */
  private async hasMatch(type: string, filter: Filter<StoredDocument>): Promise<boolean> {
    await this.flush(type);
    return (await this.current(type).findOne(filter, { session: this.session, projection: { _id: 1 } })) !== null;
  }

  get inTransactionNow(): boolean {
    return this.session !== undefined;
  }

  /**
   * Runs `fn` in one MongoDB transaction (retried by the driver on transient conflicts). Nested calls join the
   * outer transaction, so a bundle's entries and each entry's own writes commit together.
   */
  async inTransaction<T>(fn: (repo: Repository) => Promise<T>): Promise<T> {
    if (this.session) return fn(this);
    return runTransaction(this.opts.client, async (session) => {
      const checks = new CommitChecks();
      const repo = new Repository(this.opts, this.policy, session, this.trace, new WriteBuffer(), new SessionQueue(), checks);
      const result = await fn(repo);
      await repo.flush();
      await checks.run();
      return result;
    });
  }

  /**
   * State a layer keeps for this transaction and checks just before it commits (src/store/commit-checks.ts): made,
   * with its check, the first time `key` is asked for in the transaction. Only inside a transaction (write hooks are).
   */
  commitCheck<T>(key: string, make: () => { state: T; check: (state: T) => Promise<void> }): T {
    if (!this.checks) throw new Error('internal: commitCheck outside a transaction');
    return this.checks.state(key, make);
  }

  /** Writes deferred inserts (of one collection, or all) so the next read sees them. */
  async flush(collection?: string): Promise<void> {
    if (this.buffer && this.session) await this.buffer.flush(this.opts.db, this.session, collection);
  }

  /** Sync readers (cursors) cannot flush first; the transaction flushes between phases, this guards the rule. */
  private assertSettled(collection: string): void {
    if (this.buffer?.has(collection)) throw new Error(`internal: cursor on ${collection} with unflushed transaction writes`);
  }

  private current(type: string) {
    return this.opts.db.collection<StoredDocument>(type);
  }

  assertAllowed(type: string, interaction: AccessInteraction): void {
    if (!this.policy.allows(type, interaction)) {
      throw forbidden(`The access token does not allow ${interaction} on ${type}`);
    }
    if (interaction !== 'read' && interaction !== 'search' && !mayWriteType(this.policy, type)) {
      throw forbidden(`${type} is not patient data: a token bound to a patient cannot ${interaction} it`);
    }
  }

  /** Like `assertAllowed`, for an operation any one of several grants permits ($validate: read or write). */
  assertAllowedAny(type: string, interactions: readonly AccessInteraction[]): void {
    if (!interactions.some((i) => this.policy.allows(type, i))) {
      throw forbidden(`The access token does not allow ${interactions.join(', ')} on ${type}`);
    }
  }

  /** The filter for the current-version collection: live documents the policy may see, AND `filter`. */
  visible(type: string, filter: Filter<StoredDocument> = {}, access: Access = 'read'): Filter<StoredDocument> {
    return allOf({ del: false }, filter, ...this.filters.current(type, access));
  }

  /** SearchStore: a bare system-level search covers the types this is true of, and `_type` may name only those. */
  maySearch(type: string): boolean {
    return this.policy.allows(type, 'search');
  }

  /** Search access (the SearchStore contract): live, visible documents only; `access` as SearchFindOptions says. */
  find(type: string, filter: Filter<StoredDocument>, { access = 'search', ...options }: FindOptions & { access?: Access } = {}) {
    this.assertSettled(type);
    // Reads (by id, _include, conditional matches) answer to the target; searches are bounded by the policy filter
    // alone, so counts and pages agree (a patient-bound policy cannot search Binary at all).
    const checked = access === 'read' && this.gate.applies(type);
    const projection = checked ? withResourceText(options.projection) : options.projection;
    const cursor = this.current(type).find(this.visible(type, filter, access), { ...options, projection, session: this.session });
    const docs: AsyncIterable<StoredDocument> = checked ? this.gate.filter(cursor, this.readableTarget) : cursor;
    const trace = this.trace;
    return trace ? traced(docs, (d) => trace.add(type, d._id, d.c)) : docs;
  }

  /** May the caller read a Binary's securityContext target (src/store/security-context.ts)? */
  private readonly readableTarget = (target: ContextTarget): Promise<boolean> =>
    this.hasMatch(target.type, allOf({ _id: target.id, del: false }, ...this.filters.current(target.type, 'read')));

  /**
   * Current documents INCLUDING deletion markers, policy applied: what a point-in-time reader (bulk export at its
   * transactionTime) needs, since a resource deleted after that time must still be exported as it was.
   */
  findVersions(type: string, filter: Filter<StoredDocument>, options: FindOptions = {}) {
    this.assertSettled(type);
    return this.current(type).find(allOf(filter, ...this.filters.current(type)), { ...options, session: this.session });
  }

  async count(type: string, filter: Filter<StoredDocument>): Promise<number> {
    await this.flush(type);
    return this.current(type).countDocuments(this.visible(type, filter, 'search'), { session: this.session });
  }

  /** Current version, including a deletion marker (callers turn it into 410). Out-of-compartment is absent. */
  private async findCurrent(type: string, id: string): Promise<StoredDocument | null> {
    await this.flush(type);
    const doc = await this.current(type).findOne(allOf({ _id: id }, ...this.filters.current(type)), { session: this.session, projection: WITHOUT_SEARCH_INDEX });
    return (await this.gate.hides(type, doc, this.readableTarget)) ? null : doc;
  }

  async read(type: string, id: string): Promise<StoredDocument> {
    this.assertAllowed(type, 'read');
    const doc = await this.findCurrent(type, id);
    if (!doc) throw notFound(`${type}/${id} is not known`);
    if (doc.del) throw gone(`${type}/${id} was deleted`);
    this.trace?.add(type, id, doc.c);
    return doc;
  }

  async vread(type: string, id: string, vid: number): Promise<HistoryDocument> {
    this.assertAllowed(type, 'read');
    const key: Filter<HistoryDocument> = { _id: `${id}/${vid}` };
    await this.flush(historySourceName(type));
    const found = await findOneHistory(this.opts.db, type, this.filters.history(type, key), this.session);
    const doc = (await this.gate.hides(type, found, this.readableTarget)) ? null : found;
    if (!doc) throw notFound(`${type}/${id}/_history/${vid} is not known`);
    if (doc.del) throw gone(`${type}/${id}/_history/${vid} is a deletion`);
    this.trace?.add(type, id, doc.c);
    return doc;
  }

  create(type: string, resource: Resource, id?: string): Promise<WriteResult> {
    return this.writer.create(type, resource, id);
  }

  /**
   * Update, or create with the client's id when the resource does not exist (update-as-create).
   * `ifMatch` is the version the client last saw; a different current version is 412.
   */
  update(type: string, id: string, resource: Resource, opts?: UpdateOptions): Promise<WriteResult> {
    return this.writer.update(type, id, resource, opts);
  }

  delete(type: string, id: string, opts?: { ifMatch?: number }): Promise<DeleteResult> {
    return this.writer.delete(type, id, opts);
  }

  /**
   * The checks `create` makes, for a resource another layer stores (a client's AuditEvent joins the audit trail's
   * hash chain). Under a granular create scope the resource is written in a transaction that is always rolled back,
   * so the scope's query is matched by the same index and engine as any other create.
   */
  assertCreatable(type: string, resource: Resource): Promise<void> {
    return this.writer.assertCreatable(type, resource);
  }

  /** History documents of one type (or one resource), newest first, policy applied. */
  historyCursor(type: string, filter: Filter<HistoryDocument>, limit: number) {
    this.assertAllowed(type, 'read');
    this.assertSettled(historySourceName(type));
    const cursor = findHistory(this.opts.db, type, this.filters.history(type, filter), this.session).sort({ lu: -1, _id: -1 }).limit(limit);
    const trace = this.trace;
    return trace ? cursor.map((d) => (trace.add(type, d.id, d.c), d)) : cursor;
  }
}
