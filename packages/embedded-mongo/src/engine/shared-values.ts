/**
 * Makes stored documents share equal strings. Deserialised BSON gives every string of every document a copy of its
 * own, yet most strings of a store repeat: field values such as codes and code systems, references held by many
 * documents, and whole texts written twice (a current version and its history entry). Sharing them is invisible to
 * every reader: strings are immutable and compare by value. Dates are shared too (a current version and its history
 * entry have the same lastUpdated, a search index repeats a date as range bounds and sort keys): Date objects are
 * mutable, but stored documents are never changed in place (updates work on copies, see update.ts).
 *
 * The tables are bounded two-generation caches (a hit moves an entry into the young generation; when the young one
 * is full it becomes the old one and the old one is dropped), so what they keep alive beyond the stored documents
 * is limited, and values that keep recurring stay in them. During start-up replay the table of long strings keeps
 * everything: a snapshot writes a collection's documents after another's, so the two copies of a text can be a whole
 * collection apart.
 *
 * Arrays are also replaced by exact-size copies: the deserialiser grows them element by element, which leaves room
 * for at least 17 elements (152 bytes) behind the typical one- or two-element array.
 */
import type { Doc } from '../query/matcher';

/** Longer strings go to the table of long strings, bounded by characters as well as entries. */
const SHORT_MAX = 128;
const SHORT_ENTRIES = 65_536;
const LONG_ENTRIES = 4_096;
const LONG_CHARS = 32 * 1024 * 1024;
const DATE_ENTRIES = 16_384;
/** V8 Maps hold at most 2^24 entries. */
const REPLAY_LONG_ENTRIES = 8_000_000;

class Generations<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  private chars = 0;

  constructor(
    private maxEntries: number,
    private readonly maxChars = Number.POSITIVE_INFINITY,
  ) {}

  find(key: K): V | undefined {
    const young = this.young.get(key);
    if (young !== undefined) return young;
    const old = this.old.get(key);
    if (old !== undefined) this.add(key, old, 0);
    return old;
  }

  add(key: K, value: V, chars: number): void {
    this.young.set(key, value);
    this.chars += chars;
    if (this.young.size >= this.maxEntries || this.chars >= this.maxChars) {
      this.old = this.young;
      this.young = new Map();
      this.chars = 0;
    }
  }

  /** Changes the entry limit of the young generation; entries already there stay. */
  resize(maxEntries: number): void {
    this.maxEntries = maxEntries;
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  clear(): void {
    this.young = new Map();
    this.old = new Map();
    this.chars = 0;
  }
}

export class SharedValues {
  private readonly short = new Generations<string, string>(SHORT_ENTRIES);
  private readonly long = new Generations<string, string>(LONG_ENTRIES, LONG_CHARS);
  private readonly dates = new Generations<number, Date>(DATE_ENTRIES);

  /** Start-up replay: long strings are all kept until `endReplay`. */
  beginReplay(): void {
    this.long.resize(REPLAY_LONG_ENTRIES);
  }

  endReplay(): void {
    this.long.clear();
    this.long.resize(LONG_ENTRIES);
  }

  /** Values the tables hold (for tests and diagnostics). */
  get entries(): { short: number; long: number; dates: number } {
    return { short: this.short.size, long: this.long.size, dates: this.dates.size };
  }

  string(s: string): string {
    if (s.length === 0) return s;
    // A long string's key is a fingerprint that other strings may share: the one found must still be compared.
    const [table, key] = s.length <= SHORT_MAX ? [this.short, s] : [this.long, fingerprint(s)];
    const found = table.find(key);
    if (found === s) return found;
    table.add(key, s, s.length);
    return s;
  }

  /**
   * Rewrites `doc` in place so that it shares strings and dates with the documents stored before it, and holds
   * exact-size arrays. Its content stays exactly the same; the document object itself is never replaced.
   */
  compact(doc: Doc): void {
    this.object(doc);
  }

  private object(o: Record<string, unknown>): void {
    // (for-in lists only own keys here: these objects' prototype is Object.prototype or null.)
    for (const k in o) {
      // Assigning `__proto__` would go to the prototype's setter instead of the own property.
      if (k === '__proto__') continue;
      const v = o[k];
      // (An equal string is `===` to the copy it replaces: the assignment cannot be skipped by comparing.)
      if (typeof v === 'string' || (typeof v === 'object' && v !== null)) o[k] = this.value(v);
    }
  }

  /** The value to store in place of `v` (a string, or an object: objects are rewritten in place). */
  private value(v: string | object): unknown {
    if (typeof v === 'string') return this.string(v);
    if (Array.isArray(v)) return this.array(v);
    if (isDate(v)) return this.date(v);
    if (isDecodedObject(v)) this.object(v);
    return v;
  }

  private date(d: Date): Date {
    const t = d.getTime();
    const found = this.dates.find(t);
    if (found !== undefined) return found;
    this.dates.add(t, d, 0);
    return d;
  }

  private array(a: unknown[]): unknown[] {
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      if (typeof v === 'string' || (typeof v === 'object' && v !== null)) a[i] = this.value(v);
    }
    return a.length === 0 ? a : a.slice();
  }
}

/**
 * Hashing a whole text costs a pass over it (V8 hashes strings character by character); comparing two copies costs
 * far less. Texts of documents differ near their start (JSON: type, id, version) or their length and end.
 */
function fingerprint(s: string): string {
  return s.slice(0, 64) + s.slice(-32);
}

function isDate(v: unknown): v is Date {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Date.prototype;
}

/** Objects as the deserialiser makes them; BSON values (ObjectId, Binary, ...) are left as they are. */
function isDecodedObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
