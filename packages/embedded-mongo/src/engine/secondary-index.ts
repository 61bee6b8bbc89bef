/**
 * One index: a B+ tree from encoded key tuples to the ids of the documents holding them. Entries of superseded
 * document versions stay until no open transaction snapshot can see those versions (see collection.ts), so a
 * scan yields candidates that the caller always re-checks against the visible version and the full filter.
 */
import BTree from 'sorted-btree';
import { bulkLoad } from 'sorted-btree/extended/bulkLoad';
import { badValue, CommandError } from '../errors';
import { Doc, Predicate, compileFilter } from '../query/matcher';
import { splitPath } from '../query/paths';
import { encodeComponent } from '../values/key-encoding';
import { KeyMaker, keyMaker } from './index-keys';

export interface IndexSpec {
  v?: number;
  key: Record<string, number>;
  name: string;
  unique?: boolean;
  sparse?: boolean;
  partialFilterExpression?: Doc;
  [option: string]: unknown;
}

export interface IndexField {
  path: string;
  parts: string[];
  desc: boolean;
}

type Ids = string | Set<string>;

export interface IndexImage {
  tree: BTree<string, Ids>;
  /**
   * Size of each shared id set when the image was taken: the image holds the set's first `size` ids, whatever was
   * appended since (see `add`).
   */
  sizes: Map<Set<string>, number>;
  multikey: number[][];
}

// Keys are always strings: a plain comparator is several times faster than the library's type-dispatching one.
const compareKeys = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const NODE_SIZE = 32;
/** Keys read from the tree at a time by a scan. */
const SCAN_CHUNK = 256;
/** V8 Maps hold at most 2^24 entries: a build with more distinct keys than this goes on key by key. */
const MAX_GROUPED_KEYS = 8_000_000;

export interface KeyInterval {
  lo: string;
  hi: string;
}

export class SecondaryIndex {
  readonly fields: IndexField[];
  readonly unique: boolean;
  readonly sparse: boolean;
  readonly partial?: Predicate;
  /** Per field, the path prefix lengths where documents had arrays (MongoDB's "multikey paths"). */
  readonly arrayPrefixes: Set<number>[];
  private tree = new BTree<string, Ids>(undefined, compareKeys, NODE_SIZE);
  private readonly makeKeys: KeyMaker;

  constructor(readonly spec: IndexSpec) {
    const entries = Object.entries(spec.key ?? {});
    if (entries.length === 0) throw badValue('Index keys cannot be empty.');
    this.fields = entries.map(([path, dir]) => {
      if (dir !== 1 && dir !== -1) {
        throw new CommandError(67, 'CannotCreateIndex', `Index type '${String(dir)}' on '${path}' is not supported by the embedded engine`);
      }
      if (path === '' || path.startsWith('$')) throw badValue(`Invalid index key: ${path}`);
      return { path, parts: splitPath(path), desc: dir === -1 };
    });
    this.makeKeys = keyMaker(
      this.fields,
      this.fields.map((f) => f.path),
    );
    this.unique = spec.unique === true;
    this.sparse = spec.sparse === true;
    if (spec.partialFilterExpression) this.partial = compileFilter(spec.partialFilterExpression);
    this.arrayPrefixes = this.fields.map(() => new Set<number>());
  }

  get name(): string {
    return this.spec.name;
  }

  get multikey(): boolean {
    return this.arrayPrefixes.some((s) => s.size > 0);
  }

  /** Encoded keys of a document; empty when sparse/partial rules leave it out. Throws on parallel arrays. */
  keysOf(doc: Doc): string[] {
    // A write asks for the same (immutable) documents' keys several times in a row (validate, unique, add, and
    // for a replacement the previous version's keys too): a two-entry memo serves those.
    if (doc === this.memoDoc) return this.memoKeys;
    if (doc === this.olderDoc) return this.olderKeys;
    const keys = this.held.get(doc) ?? this.computeKeys(doc);
    this.olderDoc = this.memoDoc;
    this.olderKeys = this.memoKeys;
    this.memoDoc = doc;
    this.memoKeys = keys;
    return keys;
  }

  private memoDoc?: Doc;
  private memoKeys: string[] = [];
  private olderDoc?: Doc;
  private olderKeys: string[] = [];
  /** Keys of documents in open transactions' write sets, computed at the statement and needed again at commit. */
  private readonly held = new WeakMap<Doc, string[]>();

  hold(doc: Doc): void {
    this.held.set(doc, this.keysOf(doc));
  }

  release(doc: Doc): void {
    this.held.delete(doc);
  }

  private computeKeys(doc: Doc): string[] {
    if (this.partial && !this.partial(doc)) return [];
    if (this.fields.length === 1 && this.fields[0].parts.length === 1) {
      // Fast path for the common single top-level field.
      const v = doc[this.fields[0].path];
      const desc = this.fields[0].desc;
      if (v === undefined && this.sparse) return [];
      if (!Array.isArray(v)) return [encodeComponent(v === undefined ? null : v, desc)];
    }
    if (this.sparse && this.allMissing(doc)) return [];
    return this.makeKeys(doc, this.arrayPrefixes);
  }

  private allMissing(doc: Doc): boolean {
    return this.fields.every((f) => {
      let v: unknown = doc;
      for (const p of f.parts) {
        if (Array.isArray(v)) return false;
        if (typeof v !== 'object' || v === null) return true;
        v = (v as Doc)[p];
        if (v === undefined) return true;
      }
      return false;
    });
  }

  /**
   * Keys held by several documents, by hash: low-cardinality keys (a status, a search parameter's code) are hit
   * by most writes, and a hash lookup spares the two tree descents that finding and updating them would cost.
   */
  private readonly shared = new Map<string, Set<string>>();
  /**
   * Id sets an image (snapshot) still reads a prefix of. Sets iterate in insertion order, so appending leaves that
   * prefix as it was; anything else (a delete) needs a copy first, like the tree's nodes.
   */
  private frozen = new WeakSet<Set<string>>();

  private writable(k: string, set: Set<string>): Set<string> {
    if (!this.frozen.has(set)) return set;
    const copy = new Set(set);
    this.shared.set(k, copy);
    this.tree.set(k, copy);
    return copy;
  }

  add(id: string, keys: string[]): void {
    for (const k of keys) {
      const set = this.shared.get(k);
      if (set !== undefined) {
        // In place even when frozen: copying a low-cardinality key's set (every document of the collection) after
        // each snapshot cost O(N) per key. Re-adding a held id changes nothing, not even the order.
        set.add(id);
        continue;
      }
      // One descent when the key is new (the common case for selective keys).
      if (this.tree.set(k, id, false)) continue;
      const cur = this.tree.get(k) as string;
      if (cur === id) continue;
      const both = new Set([cur, id]);
      this.tree.set(k, both);
      this.shared.set(k, both);
    }
  }

  /**
   * Fills an empty index with the keys of many documents (id, version) at once: keys grouped by hash, sorted once
   * natively and loaded bottom-up, instead of one tree descent (and rebalancing) per key. Start-up and index
   * creation on a full collection use it.
   */
  build(versions: Iterable<[string, Doc]>): void {
    if (this.tree.size > 0) throw new Error(`index ${this.name} is not empty`);
    // Ids of a shared key are gathered in arrays (appending is cheap) and become sets once, at load.
    const groups = new Map<string, string | string[]>();
    let grouping = true;
    for (const [id, doc] of versions) {
      const keys = this.keysOf(doc);
      if (!grouping) {
        this.add(id, keys);
        continue;
      }
      for (const k of keys) {
        const cur = groups.get(k);
        if (cur === undefined) groups.set(k, id);
        else if (typeof cur !== 'string') cur.push(id);
        else if (cur !== id) groups.set(k, [cur, id]);
      }
      if (groups.size > MAX_GROUPED_KEYS) {
        this.load(groups);
        groups.clear();
        grouping = false;
      }
    }
    if (grouping) this.load(groups);
  }

  private load(groups: Map<string, string | string[]>): void {
    // The default sort compares UTF-16 code units, the same order as `<` on these one-byte strings.
    const keys = [...groups.keys()].sort();
    this.loadSorted(
      keys,
      keys.map((k) => groups.get(k)!),
    );
  }

  /** Fills an empty index from keys in strictly ascending order and, per key, its document id or ids. */
  loadSorted(keys: string[], ids: Array<string | string[]>, multikey?: number[][]): void {
    if (this.tree.size > 0) throw new Error(`index ${this.name} is not empty`);
    multikey?.forEach((ps, j) => ps.forEach((p) => this.arrayPrefixes[j]?.add(p)));
    const values = ids.map((v, i): Ids => {
      if (typeof v === 'string') return v;
      const set = new Set(v);
      if (set.size === 1) return v[0];
      this.shared.set(keys[i], set);
      return set;
    });
    this.tree = bulkLoad(keys, values, NODE_SIZE, compareKeys);
  }

  /**
   * The index as it is now, for a snapshot written over many turns: a copy-on-write clone of the tree, with the id
   * sets of shared keys frozen and their sizes noted, so that later writes only append to them or copy them.
   */
  image(): IndexImage {
    const sizes = new Map<Set<string>, number>();
    for (const set of this.shared.values()) {
      this.frozen.add(set);
      sizes.set(set, set.size);
    }
    return { tree: this.tree.clone(), sizes, multikey: this.arrayPrefixes.map((s) => [...s]) };
  }

  remove(id: string, keys: string[]): void {
    for (const k of keys) {
      const live = this.shared.get(k);
      if (live === undefined) {
        if (this.tree.get(k) === id) this.tree.delete(k);
        continue;
      }
      if (!live.has(id)) continue;
      const set = this.writable(k, live);
      set.delete(id);
      if (set.size <= 1) {
        this.shared.delete(k);
        if (set.size === 1) this.tree.set(k, set.values().next().value as string);
        else this.tree.delete(k);
      }
    }
  }

  /** Ids stored under exactly this key. */
  idsAt(key: string): Iterable<string> {
    const cur = this.tree.get(key);
    if (cur === undefined) return [];
    return typeof cur === 'string' ? [cur] : cur;
  }

  /** Ids within the intervals (inclusive both ends), in key order or reversed. Ids may repeat (multikey). */
  *scan(intervals: KeyInterval[], reverse: boolean): Generator<string> {
    for (const [, id] of this.scanEntries(intervals, reverse)) yield id;
  }

  /**
   * Like scan, with the key each id was found under. The tree is read in chunks, each resuming after the last key
   * of the one before, and never while the caller holds the generator: a cursor may pause between batches while
   * writes reshape the tree.
   */
  *scanEntries(intervals: KeyInterval[], reverse: boolean): Generator<[string, string]> {
    const list = reverse ? [...intervals].reverse() : intervals;
    const pair: [string, Ids] = ['', ''];
    for (const { lo, hi } of list) {
      if (lo > hi) continue;
      let after: string | undefined;
      for (;;) {
        const keys: string[] = [];
        const ids: Ids[] = [];
        const it = reverse ? this.tree.entriesReversed(after ?? hi, pair, after !== undefined) : this.tree.entries(after ?? lo, pair);
        for (let r = it.next(); !r.done && keys.length < SCAN_CHUNK; r = it.next()) {
          const k = r.value[0];
          if (reverse ? k < lo : k > hi) break;
          if (k === after) continue;
          keys.push(k);
          ids.push(r.value[1]);
        }
        for (let i = 0; i < keys.length; i++) {
          const v = ids[i];
          if (typeof v === 'string') yield [keys[i], v];
          else for (const id of v) yield [keys[i], id];
        }
        if (keys.length < SCAN_CHUNK) break;
        after = keys[keys.length - 1];
      }
    }
  }

  get entryCount(): number {
    return this.tree.size;
  }

  clear(): void {
    this.tree.clear();
    this.shared.clear();
    this.arrayPrefixes.forEach((s) => s.clear());
  }
}
