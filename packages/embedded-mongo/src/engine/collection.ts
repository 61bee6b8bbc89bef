/**
 * A collection: per document a chain of committed versions (newest first) plus its indexes. Old versions are kept
 * only while an open transaction's snapshot may still read them, so transactions never copy collections: a
 * snapshot read walks the short chain back to the newest version committed at or before its timestamp.
 */
import { duplicateKey } from '../errors';
import { Doc } from '../query/matcher';
import { encodeKey } from '../values/key-encoding';
import { IndexImage, IndexSpec, SecondaryIndex } from './secondary-index';
import { SharedValues } from './shared-values';

export interface Version {
  doc: Doc | null;
  ts: number;
  prev?: Version;
}

export const ID_INDEX: IndexSpec = { v: 2, key: { _id: 1 }, name: '_id_' };

export function idKeyOf(id: unknown): string {
  return encodeKey(id);
}

export class Collection {
  readonly versions = new Map<string, Version>();
  readonly indexes = new Map<string, SecondaryIndex>();
  liveCount = 0;
  /** Documents whose superseded versions are kept for open snapshots (their old index keys are still present). */
  retainedVersions = 0;
  /** While set (start-up replay), writes leave the indexes alone: `buildIndexes` fills them in bulk at the end. */
  private deferIndexes = false;
  /** During replay: the ids of replayed documents in order (a snapshot's index entries name documents by place). */
  readonly replayedIds: string[] = [];
  /** Index entries read from a snapshot, loaded as they are by `buildIndexes`. */
  private readonly preloaded = new Map<string, { keys: string[]; ids: Array<string | string[]>; multikey?: number[][] }>();

  constructor(
    readonly dbName: string,
    readonly name: string,
    readonly options: Doc = {},
    private readonly values = new SharedValues(),
  ) {
    this.indexes.set('_id_', new SecondaryIndex({ ...ID_INDEX, unique: true }));
  }

  get ns(): string {
    return `${this.dbName}.${this.name}`;
  }

  /** The document as of a snapshot (Infinity = latest committed), or null when absent. */
  visible(id: string, snapshotTs: number): Doc | null {
    let v = this.versions.get(id);
    while (v !== undefined && v.ts > snapshotTs) v = v.prev;
    return v === undefined ? null : v.doc;
  }

  headTs(id: string): number {
    return this.versions.get(id)?.ts ?? 0;
  }

  /**
   * Finds a committed document (other than `id` and those in `ignore`) that holds one of `doc`'s unique keys.
   * Returns the violated index and the holder's id, or undefined.
   */
  findUniqueClash(id: string, doc: Doc, ignore?: { has(id: string): boolean }): { index: SecondaryIndex; holder: string } | undefined {
    for (const index of this.indexes.values()) {
      if (!index.unique) continue;
      for (const key of index.keysOf(doc)) {
        for (const other of index.idsAt(key)) {
          if (other === id || ignore?.has(other)) continue;
          const head = this.versions.get(other)?.doc;
          // Index entries may belong to superseded versions: only the current version counts.
          if (head && index.keysOf(head).includes(key)) return { index, holder: other };
        }
      }
    }
    return undefined;
  }

  duplicateError(index: SecondaryIndex, doc: Doc) {
    const keyValue: Record<string, unknown> = {};
    for (const f of index.fields) {
      let v: unknown = doc;
      for (const p of f.parts) v = v && typeof v === 'object' ? (v as Doc)[p] : undefined;
      keyValue[f.path] = v === undefined ? null : v;
    }
    return duplicateKey(this.ns, index.name, index.spec.key, keyValue);
  }

  /** Throws 11000 if `doc` would break a unique index (checked against the latest committed state). */
  assertUnique(id: string, doc: Doc, ignore?: { has(id: string): boolean }): void {
    const clash = this.findUniqueClash(id, doc, ignore);
    if (clash) throw this.duplicateError(clash.index, doc);
  }

  /**
   * Computes every index's keys first so a parallel-arrays error leaves the collection untouched. `hold` keeps
   * them until the document is committed (a transaction's write, installed later).
   */
  validateIndexable(doc: Doc, hold = false): void {
    for (const index of this.indexes.values()) index.keysOf(doc);
    if (hold) for (const index of this.indexes.values()) index.hold(doc);
  }

  /** Installs a committed version. `oldestSnapshot` is the oldest open transaction's timestamp (Infinity if none). */
  commit(id: string, doc: Doc | null, ts: number, oldestSnapshot: number): boolean {
    const head = this.versions.get(id);
    if (head === undefined && doc === null) return false;
    if (doc !== null) this.values.compact(doc);
    if (doc !== null && !this.deferIndexes) {
      const prev = head?.doc;
      for (const index of this.indexes.values()) {
        // The current version's keys are in the index under this id already: a replacement adds only new ones.
        index.add(id, prev ? without(index.keysOf(doc), index.keysOf(prev)) : index.keysOf(doc));
        index.release(doc);
      }
    }
    const wasLive = head?.doc != null;
    this.versions.set(id, { doc, ts, prev: head });
    this.liveCount += (doc !== null ? 1 : 0) - (wasLive ? 1 : 0);
    return this.prune(id, oldestSnapshot);
  }

  /**
   * Drops versions no snapshot can see any more and their index entries (keeping keys a retained version still
   * has). Returns true when the chain still holds versions kept for an open snapshot.
   */
  prune(id: string, oldestSnapshot: number): boolean {
    const head = this.versions.get(id);
    if (head === undefined) return false;
    let keep = head;
    while (keep.ts > oldestSnapshot && keep.prev !== undefined) keep = keep.prev;
    const dropped: Doc[] = [];
    for (let v = keep.prev; v !== undefined; v = v.prev) if (v.doc) dropped.push(v.doc);
    keep.prev = undefined;
    const headGone = head === keep && head.doc === null;
    if (headGone) this.versions.delete(id);
    if (dropped.length > 0 && !this.deferIndexes) {
      const retained: Doc[] = [];
      if (!headGone) for (let v: Version | undefined = head; v !== undefined; v = v.prev) if (v.doc) retained.push(v.doc);
      for (const index of this.indexes.values()) {
        const live = new Set<string>();
        for (const d of retained) for (const k of index.keysOf(d)) live.add(k);
        for (const d of dropped)
          index.remove(
            id,
            index.keysOf(d).filter((k) => !live.has(k)),
          );
      }
    }
    return head !== keep;
  }

  /** Builds a new index over every stored version; throws 11000 (and leaves nothing) on a unique violation. */
  addIndex(spec: IndexSpec): SecondaryIndex {
    const index = new SecondaryIndex(spec);
    if (!this.deferIndexes) {
      if (index.unique) this.assertUniqueHeads(index);
      index.build(this.allVersions());
    }
    this.indexes.set(spec.name, index);
    return index;
  }

  private assertUniqueHeads(index: SecondaryIndex): void {
    const seen = new Map<string, string>();
    for (const [id, head] of this.versions) {
      if (!head.doc) continue;
      for (const k of index.keysOf(head.doc)) {
        const other = seen.get(k);
        if (other !== undefined && other !== id) throw this.duplicateError(index, head.doc);
        seen.set(k, id);
      }
    }
  }

  private *allVersions(): Generator<[string, Doc]> {
    for (const [id, head] of this.versions) for (let v: Version | undefined = head; v !== undefined; v = v.prev) if (v.doc) yield [id, v.doc];
  }

  /** Stops writes from maintaining the indexes until `buildIndexes` (start-up replay only: no reader, no snapshot). */
  deferIndexBuilds(): void {
    this.deferIndexes = true;
  }

  /** Appends entries of a snapshot's index image (records arrive in key order). */
  preloadIndex(name: string, keys: string[], ids: Array<string | string[]>, multikey?: number[][]): void {
    const pre = this.preloaded.get(name);
    if (!pre) {
      this.preloaded.set(name, { keys, ids, multikey });
      return;
    }
    let i = 0;
    const last = pre.keys.length - 1;
    if (keys.length > 0 && pre.keys[last] === keys[0]) {
      // The previous record ended inside this key's id set: join the two parts.
      const joined = typeof pre.ids[last] === 'string' ? [pre.ids[last] as string] : (pre.ids[last] as string[]);
      for (const id of typeof ids[0] === 'string' ? [ids[0]] : ids[0]) joined.push(id);
      pre.ids[last] = joined;
      i = 1;
    }
    for (; i < keys.length; i++) {
      pre.keys.push(keys[i]);
      pre.ids.push(ids[i]);
    }
  }

  get hasPreloadedIndexes(): boolean {
    return this.preloaded.size > 0;
  }

  /** Ends deferral: loads the indexes a snapshot carried, computes the others from the documents. */
  buildIndexes(): { loaded: number; built: number } {
    const counts = { loaded: 0, built: 0 };
    if (!this.deferIndexes) return counts;
    this.deferIndexes = false;
    for (const [name, index] of this.indexes) {
      const pre = this.preloaded.get(name);
      if (pre) index.loadSorted(pre.keys, pre.ids, pre.multikey);
      else index.build(this.allVersions());
      counts[pre ? 'loaded' : 'built']++;
    }
    this.preloaded.clear();
    this.replayedIds.length = 0;
    return counts;
  }

  /** Images of every index for a snapshot; undefined while versions kept for open transactions have entries. */
  indexImages(): Map<string, IndexImage> | undefined {
    if (this.retainedVersions > 0) return undefined;
    return new Map([...this.indexes].map(([name, index]) => [name, index.image()]));
  }

  /** Iterates the latest live documents (no snapshot). */
  *liveDocs(): Generator<[string, Doc]> {
    for (const [id, v] of this.versions) if (v.doc) yield [id, v.doc];
  }
}

function without(keys: string[], old: string[]): string[] {
  if (old.length === 0) return keys;
  if (old.length <= 8) return keys.filter((k) => !old.includes(k));
  const set = new Set(old);
  return keys.filter((k) => !set.has(k));
}
