/**
 * Makes stored documents share equal strings. Deserialised BSON gives every string of every document a copy of its
 * own, yet most strings of a store repeat: field values such as codes and code systems, references held by many
 * documents, and whole texts written twice (a current version and its history entry). Sharing them is invisible to
 * every reader: strings are immutable and compare by value.
 *
 * Both tables are bounded two-generation caches (a hit moves an entry into the young generation; when the young one
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
/** V8 Maps hold at most 2^24 entries. */
const REPLAY_LONG_ENTRIES = 8_000_000;

class Generations {
  private young = new Map<string, string>();
  private old = new Map<string, string>();
  private chars = 0;

  constructor(
    private maxEntries: number,
    private readonly maxChars: number,
  ) {}

  /**
   * The table's string equal to `s`, or `s` itself, which then takes the place of any other string under `key`
   * (a string's key may be a fingerprint that other strings share).
   */
  get(s: string, key: string): string {
    const young = this.young.get(key);
    if (young === s) return young;
    const old = this.old.get(key);
    const shared = old === s ? old : s;
    this.young.set(key, shared);
    this.chars += s.length;
    if (this.young.size >= this.maxEntries || this.chars >= this.maxChars) this.rotate();
    return shared;
  }

  /** Changes the entry limit of the young generation; entries already there stay. */
  resize(maxEntries: number): void {
    this.maxEntries = maxEntries;
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  rotate(): void {
    this.old = this.young;
    this.young = new Map();
    this.chars = 0;
  }

  clear(): void {
    this.young = new Map();
    this.old = new Map();
    this.chars = 0;
  }
}

export class SharedValues {
  private readonly short = new Generations(SHORT_ENTRIES, Number.POSITIVE_INFINITY);
  private readonly long = new Generations(LONG_ENTRIES, LONG_CHARS);

  /** Start-up replay: long strings are all kept until `endReplay`. */
  beginReplay(): void {
    this.long.resize(REPLAY_LONG_ENTRIES);
  }

  endReplay(): void {
    this.long.clear();
    this.long.resize(LONG_ENTRIES);
  }

  /** Strings the tables hold (for tests and diagnostics). */
  get entries(): { short: number; long: number } {
    return { short: this.short.size, long: this.long.size };
  }

  string(s: string): string {
    if (s.length === 0) return s;
    return s.length <= SHORT_MAX ? this.short.get(s, s) : this.long.get(s, fingerprint(s));
  }

  /** Rewrites `doc` in place to share its strings and trim its arrays; its content stays exactly the same. */
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
      if (typeof v === 'string') o[k] = this.string(v);
      else if (Array.isArray(v)) o[k] = this.array(v);
      else if (isDecodedObject(v)) this.object(v);
    }
  }

  private array(a: unknown[]): unknown[] {
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      if (typeof v === 'string') a[i] = this.string(v);
      else if (Array.isArray(v)) a[i] = this.array(v);
      else if (isDecodedObject(v)) this.object(v);
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

/** Objects as the deserialiser makes them; BSON values (ObjectId, Binary, ...) are left as they are. */
function isDecodedObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
