/**
 * One index: its entries (encoded key tuple + document id) live in the store (index-entries.ts), in key order, so a
 * scan is a range read of the store, in the latest state or in a transaction's snapshot. A scan yields candidates
 * that the caller re-checks against the visible document and the full filter.
 */
import { badValue, CommandError } from '../errors';
import { Doc, Predicate, compileFilter } from '../query/matcher';
import { splitPath } from '../query/paths';
import { encodeComponent } from '../values/key-encoding';
import { entryOf, readEntry, SEEK_BYTES, seekBackFrom, seekFrom } from '../storage/index-entries';
import { prefixEnd, u32, type ReadTxn, type Store } from '../storage/store';
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

/**
 * Entries read from the store at a time by a scan: few at first (an equality, a page of results, the planner's
 * estimates read only what they need), then more as the scan goes on.
 */
const FIRST_CHUNK = 16;
const SCAN_CHUNK = 256;

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
  private readonly makeKeys: KeyMaker;
  private readonly prefix: Buffer;
  private readonly end: Buffer;
  private savedMultikey = 0;

  /** `id`: the index's number in the store, the prefix of its entries. `multikey`: paths known from the catalog. */
  constructor(
    readonly spec: IndexSpec,
    private readonly store: Store,
    readonly id: number,
    multikey: number[][] = [],
  ) {
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
    this.arrayPrefixes = this.fields.map((_, i) => new Set<number>(multikey[i] ?? []));
    this.savedMultikey = this.arrayPrefixes.reduce((sum, set) => sum + set.size, 0);
    this.prefix = u32(id);
    this.end = prefixEnd(this.prefix);
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

  /** Adds entries (inside a store write). */
  add(id: string, keys: string[]): void {
    const { entries } = this.store;
    this.store.write(() => {
      for (const k of keys) {
        const e = entryOf(this.prefix, k, id);
        entries.putSync(e.key, e.value);
      }
    });
  }

  /** Fills a new index with the keys of every document, in one store write. */
  build(docs: Iterable<[string, Doc]>): void {
    this.store.write(() => {
      for (const [id, doc] of docs) this.add(id, this.keysOf(doc));
    });
  }

  remove(id: string, keys: string[]): void {
    const { entries } = this.store;
    this.store.write(() => {
      for (const k of keys) entries.removeSync(entryOf(this.prefix, k, id).key);
    });
  }

  /** Ids stored under exactly this key (in the snapshot `txn`, or the latest state). */
  *idsAt(key: string, txn?: ReadTxn): Iterable<string> {
    for (const [, id] of this.scanEntries([{ lo: key, hi: key }], false, txn)) yield id;
  }

  /** Ids within the intervals (inclusive both ends), in key order or reversed. Ids may repeat (multikey). */
  *scan(intervals: KeyInterval[], reverse: boolean, txn?: ReadTxn): Generator<string> {
    for (const [, id] of this.scanEntries(intervals, reverse, txn)) yield id;
  }

  /**
   * Like scan, with the key each id was found under. The store is read in chunks, each resuming after the last entry
   * of the one before, and never while the caller holds the generator: a cursor may pause between batches while
   * writes commit (it then reads the latest state, as before; a transaction reads its snapshot `txn`).
   */
  *scanEntries(intervals: KeyInterval[], reverse: boolean, txn?: ReadTxn): Generator<[string, string]> {
    const list = reverse ? [...intervals].reverse() : intervals;
    const n = this.prefix.length;
    const run = new LongKeyRun(reverse);
    for (const { lo, hi } of list) {
      if (lo > hi) continue;
      let from = reverse ? seekBackFrom(this.prefix, hi) : seekFrom(this.prefix, lo);
      let exclusive = false;
      let size = FIRST_CHUNK;
      for (;;) {
        const chunk = [
          ...this.store.entries.getRange({
            start: from,
            end: reverse ? seekFrom(this.prefix, lo) : seekBackFrom(this.prefix, hi),
            reverse,
            exclusiveStart: exclusive,
            limit: size,
            transaction: txn,
          }),
        ];
        let done = chunk.length < size;
        const found: Array<[string, string]> = [];
        for (const { key, value } of chunk) {
          const e = readEntry(n, key, value);
          // Long entries are out of order among those sharing their first bytes: they never end a scan.
          if (reverse ? e.key > hi : e.key < lo) continue;
          if (reverse ? e.key < lo : e.key > hi) {
            if (e.long) continue;
            done = true;
            break;
          }
          run.add(e.key, e.id, found);
        }
        if (done) run.flush(found);
        yield* found;
        if (done) break;
        from = chunk[chunk.length - 1].key;
        exclusive = true;
        size = Math.min(size * 4, SCAN_CHUNK);
      }
    }
  }

  get entryCount(): number {
    return this.store.entries.getCount({ start: this.prefix, end: this.end });
  }

  /** Removes every entry (dropping the index or its collection). */
  clear(): void {
    this.store.clearPrefix(this.store.entries, this.prefix);
    this.arrayPrefixes.forEach((s) => s.clear());
  }

  /** The multikey paths as the catalog keeps them. */
  get multikeyPaths(): number[][] {
    return this.arrayPrefixes.map((s) => [...s].sort((a, b) => a - b));
  }

  /** Whether documents showed arrays on paths the catalog does not know yet (then saved with the next write). */
  takeMultikeyChange(): boolean {
    const n = this.arrayPrefixes.reduce((sum, s) => sum + s.size, 0);
    if (n === this.savedMultikey) return false;
    this.savedMultikey = n;
    return true;
  }
}

/**
 * Puts back in index order the entries whose keys share their first SEEK_BYTES bytes: the store orders those by a
 * hash where a key was too long to keep whole (index-entries.ts). They lie together in the store, so a scan holds
 * back one such run at a time (rare: keys of 1,900 bytes and more) and sorts it by key, then id.
 */
class LongKeyRun {
  private head: string | undefined;
  private entries: Array<[string, string]> = [];

  constructor(private readonly reverse: boolean) {}

  add(key: string, id: string, out: Array<[string, string]>): void {
    const head = key.length >= SEEK_BYTES ? key.slice(0, SEEK_BYTES) : undefined;
    if (head !== this.head) this.flush(out);
    if (head === undefined) out.push([key, id]);
    else {
      this.head = head;
      this.entries.push([key, id]);
    }
  }

  flush(out: Array<[string, string]>): void {
    const byKeyThenId = (a: [string, string], b: [string, string]) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1);
    this.entries.sort(this.reverse ? (a, b) => byKeyThenId(b, a) : byKeyThenId);
    out.push(...this.entries);
    this.entries = [];
    this.head = undefined;
  }
}
