import type { Resource } from 'fhir/r4';
import type { Repository } from './repository';
import type { StoredDocument } from './stored-document';

/** One version being written: what a WriteHook sees. */
export interface WriteEvent {
  type: string;
  id: string;
  /** `create` also for an update that creates (or re-creates a deleted resource). */
  op: 'create' | 'update' | 'patch' | 'delete';
  /** The new version as it is stored (server meta set); absent on delete. */
  resource?: Resource;
  /** The current version this write replaces (possibly a deletion marker); absent when there was none. */
  previous?: StoredDocument;
  /**
   * The id was made by the server for this create (POST, a bundle's POST entry): until this write commits nothing in
   * the store can name it, so a hook has nothing of its own to look up (no merge state, no Task of it).
   */
  fresh?: boolean;
}

/** A version about to be built: the resource as written (no server meta yet) and the version number it will get. */
export interface PrepareEvent {
  type: string;
  id: string;
  op: 'create' | 'update' | 'patch';
  vid: number;
  resource: Resource;
  previous?: StoredDocument;
}

/**
 * Behaviour of other layers that must hold for every write, whatever the path (REST, bundle entry, operation,
 * job): refusing writes (a merged-away patient, a legal hold) and keeping derived data in step (match keys,
 * deficiency tasks). Both run inside the write's transaction, so what a hook writes commits or rolls back with
 * the version, and a refusal leaves nothing behind.
 */
export interface WriteHook {
  /** For logs and errors. */
  name: string;
  /** Types the hook may write: their collections are created before the write's transaction starts. */
  writes?: readonly string[];
  /**
   * Before the version is built, in the write's transaction: may return the resource to store in place of the one
   * written (inline attachment data moved out to a Binary), or throw to refuse it. Never changes `event.resource`
   * itself: a transaction the driver retries writes the same input again.
   */
  prepare?(repo: Repository, event: PrepareEvent): Promise<Resource | undefined>;
  /** Before the version is stored: throw an OperationOutcomeError to refuse the write. */
  before?(repo: Repository, event: WriteEvent): Promise<void>;
  /** After the version and its history entry are stored, in the same transaction. */
  after?(repo: Repository, event: WriteEvent): Promise<void>;
}

/** The hooks of one server, run in registration order. */
export class WriteHooks {
  constructor(private readonly hooks: readonly WriteHook[] = []) {}

  /** Every type some hook writes (ensured before a write's transaction, which cannot create collections). */
  get written(): string[] {
    return [...new Set(this.hooks.flatMap((h) => h.writes ?? []))];
  }

  get empty(): boolean {
    return this.hooks.length === 0;
  }

  /** The resource to store, as each hook's `prepare` in turn leaves it. */
  async prepare(repo: Repository, event: PrepareEvent): Promise<Resource> {
    let resource = event.resource;
    for (const hook of this.hooks) if (hook.prepare) resource = (await hook.prepare(repo, { ...event, resource })) ?? resource;
    return resource;
  }

  async before(repo: Repository, event: WriteEvent): Promise<void> {
    for (const hook of this.hooks) await hook.before?.(repo, event);
  }

  async after(repo: Repository, event: WriteEvent): Promise<void> {
    for (const hook of this.hooks) await hook.after?.(repo, event);
  }
}
