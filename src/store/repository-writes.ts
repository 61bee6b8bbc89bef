import { randomUUID } from 'node:crypto';
import type { Resource } from 'fhir/r4';
import type { ClientSession, Collection, Filter } from 'mongodb';
import type { AccessInteraction } from '../auth/access-policy';
import { forbidden, preconditionFailed } from '../errors/operation-outcome-error';
import { type PolicyFilters, allOf, compartmentAllowsWrite, compartmentFilter } from './policy-filter';
import { withServerMeta } from './resource-text';
import { type HistoryDocument, type StoredDocument, deletionOf, storedDocumentOf } from './stored-document';
import { type VersionWrites, nextLastUpdated } from './version-writes';
import type { DeleteResult, RepositoryOptions, WriteResult } from './repository-types';
import type { ContextTarget, SecurityContextGate } from './security-context';
import type { PrepareEvent, WriteEvent } from './write-hooks';
import type { Repository } from './repository';

/**
 * What the writes use of their repository (src/store/repository.ts) beyond its public face: its policy's filters and
 * gate, the stores and reads of its transaction. The repository builds it over its own members, one per repository.
 */
export interface RepositoryParts {
  /** The repository the writes belong to: its grants are checked, its trace records, write hooks are handed it. */
  repo: Repository;
  opts: RepositoryOptions;
  filters: PolicyFilters;
  gate: SecurityContextGate;
  writes: VersionWrites;
  session?: ClientSession;
  current(type: string): Collection<StoredDocument>;
  /** Current version, including a deletion marker; out-of-compartment is null. */
  findCurrent(type: string, id: string): Promise<StoredDocument | null>;
  /** Does any current document of `type` match `filter` (no policy added)? */
  hasMatch(type: string, filter: Filter<StoredDocument>): Promise<boolean>;
  /** May the caller read a Binary's securityContext target? */
  readableTarget: (target: ContextTarget) => Promise<boolean>;
  /** Runs `fn` with the writes of the repository's transaction (joined, or begun as `Repository.inTransaction` does). */
  inTransaction<T>(fn: (tx: RepositoryWrites) => Promise<T>): Promise<T>;
  /** The writes of a repository with the same policy bound to `session` (no write buffer). */
  inSession(session: ClientSession): RepositoryWrites;
}

/** `Repository.update`'s options. */
export interface UpdateOptions {
  /** The version the client last saw; a different current version is 412. */
  ifMatch?: number;
  op?: 'update' | 'patch';
  /** The server made the id up (conditional update with no match), so it can reveal nothing. */
  freshId?: boolean;
}

/**
 * The repository's writes of resources (`Repository.create`, `update`, `delete`, `assertCreatable`): the caller's
 * compartment, granular write scopes and securityContext checked against each version, the write hooks run, the
 * version stored through VersionWrites inside one transaction.
 */
export class RepositoryWrites {
  constructor(private readonly parts: RepositoryParts) {}

  private get policy() {
    return this.parts.repo.policy;
  }

  /** Runs the write hooks of one version (src/store/write-hooks.ts); the repository passed is this transaction's. */
  private async runHooks(phase: 'before' | 'after', event: WriteEvent): Promise<void> {
    if (this.parts.opts.hooks && !this.parts.opts.hooks.empty) await this.parts.opts.hooks[phase](this.parts.repo, event);
  }

  /**
   * Does the stored version `vid` of `type/id` match `restriction`? Asked of the current collection inside the
   * write's transaction, so the search index the compiled restriction queries is the one this write computed.
   */
  private storedMatches(type: string, id: string, vid: number, restriction: Filter<StoredDocument>): Promise<boolean> {
    return this.parts.hasMatch(type, allOf({ _id: id, vid }, restriction));
  }

  /**
   * The stored resource a write (update, patch, delete) may act on under a granular scope for `interaction`, or
   * null when the scope hides it: the caller then gets the answer for an id that does not exist. One the caller may
   * read but not change under that scope is 403 (refusing it reveals nothing the caller could not read).
   */
  private async writableUnderScope(type: string, stored: StoredDocument | null, interaction: AccessInteraction): Promise<StoredDocument | null> {
    const restriction = this.parts.filters.write(type, interaction);
    if (!stored || !restriction || (await this.storedMatches(type, stored._id, stored.vid, restriction))) return stored;
    if (await this.parts.findCurrent(type, stored._id)) {
      throw forbidden(`${type}/${stored._id} is outside what the access token's scopes allow to ${interaction}`);
    }
    return null;
  }

  async create(type: string, resource: Resource, id: string = randomUUID()): Promise<WriteResult> {
    this.parts.repo.assertAllowed(type, 'create');
    await this.parts.opts.ensureType(type);
    // Ids given to create are server-assigned (random UUIDs): no existence check, the unique _id is the guard.
    return this.parts.inTransaction((tx) => tx.writeVersion(type, id, resource, 1, 'create', undefined, ['create'], true));
  }

  async update(type: string, id: string, resource: Resource, opts: UpdateOptions = {}): Promise<WriteResult> {
    this.parts.repo.assertAllowed(type, 'update');
    await this.parts.opts.ensureType(type);
    return this.parts.inTransaction(async (tx) => {
      await tx.parts.repo.flush(type);
      const stored = await tx.parts.current(type).findOne({ _id: id }, { session: tx.parts.session });
      if (await tx.parts.gate.hides(type, stored, tx.parts.readableTarget)) {
        throw forbidden(`${type}/${id} answers to a securityContext the access token may not read: it cannot be written`);
      }
      // From here a resource hidden by the compartment or a granular scope is treated as absent, with the same answers.
      const inCompartment = stored && compartmentAllowsWrite(this.policy, type, stored.c ?? []) ? stored : null;
      const existing = await tx.writableUnderScope(type, inCompartment, 'update');
      if (opts.ifMatch !== undefined && existing?.vid !== opts.ifMatch) {
        throw preconditionFailed(
          existing
            ? `If-Match version ${opts.ifMatch} does not match the current version ${existing.vid} of ${type}/${id}`
            : `If-Match was given but ${type}/${id} does not exist`,
        );
      }
      if (!existing) {
        // Update-as-create would overwrite a hidden resource, or reveal it by failing: neither is offered.
        if (this.parts.filters.write(type, 'update')) {
          throw forbidden(`${type}/${id} cannot be created by update: the access token's ${type} scopes are restricted by a search (create it with POST)`);
        }
        if (!opts.freshId && compartmentFilter(this.policy, type)) {
          throw forbidden(`${type}/${id} cannot be created by update under a patient-bound access token (create it with POST)`);
        }
        this.parts.repo.assertAllowed(type, 'create');
      }
      const vid = (existing?.vid ?? 0) + 1;
      const op = existing && !existing.del ? (opts.op ?? 'update') : 'create';
      const interactions: AccessInteraction[] = op === 'create' ? ['update', 'create'] : ['update'];
      return tx.writeVersion(type, id, resource, vid, op, existing, interactions);
    });
  }

  async delete(type: string, id: string, opts: { ifMatch?: number } = {}): Promise<DeleteResult> {
    this.parts.repo.assertAllowed(type, 'delete');
    await this.parts.opts.ensureType(type);
    return this.parts.inTransaction(async (tx) => {
      await tx.parts.repo.flush(type);
      const stored = await tx.parts.current(type).findOne({ _id: id }, { session: tx.parts.session });
      const hidden = await tx.parts.gate.hides(type, stored, tx.parts.readableTarget);
      const inCompartment = stored && !hidden && compartmentAllowsWrite(this.policy, type, stored.c ?? []);
      const existing = inCompartment ? await tx.writableUnderScope(type, stored, 'delete') : null;
      const visible = existing !== null;
      if (opts.ifMatch !== undefined && (!visible || existing.vid !== opts.ifMatch)) {
        throw preconditionFailed(`If-Match version ${opts.ifMatch} does not match ${type}/${id}`);
      }
      // Deleting what is absent or already deleted is a success with nothing to do (idempotent, spec 3.1.0.7.1).
      if (!visible || existing.del) return {};
      const event: WriteEvent = { type, id, op: 'delete', previous: existing };
      await tx.runHooks('before', event);
      const doc = deletionOf(existing, nextLastUpdated(existing));
      await tx.parts.writes.replaceCurrent(type, existing, doc);
      await tx.parts.writes.insertHistory(type, doc, 'delete');
      await tx.runHooks('after', event);
      this.parts.repo.trace?.add(type, id, doc.c);
      return { doc };
    });
  }

  private async writeVersion(
    type: string,
    id: string,
    input: Resource,
    vid: number,
    op: HistoryDocument['op'],
    existing: StoredDocument | null | undefined,
    /** The interactions this write performs: the new version must match each one's granular scope restriction. */
    interactions: readonly AccessInteraction[],
    /** `create` with an id the server made (WriteEvent.fresh). */
    fresh = false,
  ): Promise<WriteResult> {
    const { opts, writes, repo } = this.parts;
    const prepared =
      opts.hooks && !opts.hooks.empty
        ? await opts.hooks.prepare(repo, { type, id, op: op as PrepareEvent['op'], vid, resource: input, previous: existing ?? undefined })
        : input;
    const { doc, resource } = this.versionDocument(type, id, prepared, vid, existing);
    const event: WriteEvent = { type, id, op, resource, previous: existing ?? undefined, ...(fresh && { fresh }) };
    await this.runHooks('before', event);
    if (existing) await writes.replaceCurrent(type, existing, doc);
    else await writes.insertCurrent(type, doc);
    await this.assertWithinWriteScopes(type, doc, interactions);
    await writes.insertHistory(type, doc, op);
    await this.runHooks('after', event);
    repo.trace?.add(type, id, doc.c);
    return { doc, resource, created: op === 'create' };
  }

  /** The document of a new version; 403 when it would leave the caller's patient compartment. */
  private versionDocument(type: string, id: string, input: Resource, vid: number, existing: StoredDocument | null | undefined) {
    const lu = nextLastUpdated(existing);
    const resource = withServerMeta(input, id, vid, lu);
    const fields = this.parts.opts.index(resource);
    if (!compartmentAllowsWrite(this.policy, type, fields.c)) {
      throw forbidden(`${type} is outside the patient compartment the access token allows`);
    }
    const doc = storedDocumentOf(id, vid, lu, resource, fields);
    return { doc, resource };
  }

  /**
   * A granular scope restriction is a search: it is matched against the index of the version just written to the
   * current collection, and a miss (403) aborts the transaction.
   */
  private async assertWithinWriteScopes(type: string, doc: StoredDocument, interactions: readonly AccessInteraction[]): Promise<void> {
    for (const interaction of interactions) {
      const restriction = this.parts.filters.write(type, interaction);
      if (restriction && !(await this.storedMatches(type, doc._id, doc.vid, restriction))) {
        throw forbidden(`${type} as written is outside what the access token's scopes allow to ${interaction}`);
      }
    }
  }

  async assertCreatable(type: string, resource: Resource): Promise<void> {
    this.parts.repo.assertAllowed(type, 'create');
    const { doc } = this.versionDocument(type, randomUUID(), resource, 1, undefined);
    if (!this.parts.filters.write(type, 'create')) return;
    await this.parts.opts.ensureType(type);
    const session = this.parts.opts.client.startSession();
    try {
      session.startTransaction();
      const probe = this.parts.inSession(session);
      await probe.parts.writes.insertCurrent(type, doc);
      await probe.assertWithinWriteScopes(type, doc, ['create']);
    } finally {
      // Nothing is committed either way; a failed abort must not hide the answer.
      await session.abortTransaction().catch(() => undefined);
      await session.endSession();
    }
  }
}
