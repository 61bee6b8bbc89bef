/**
 * A data directory: lock, recovery (newest complete snapshot + the journals after it, torn tails truncated),
 * and compaction (a new journal plus a snapshot of the live state, after which the old files are deleted).
 *
 * Files: mongod.lock, snapshot-<gen>.bson (complete only under this name; written as .tmp, fsynced, renamed),
 * journal-<gen>.log (everything after snapshot-<gen>; journal-<gen+1> may exist if a compaction was cut short).
 */
import fs from 'node:fs';
import path from 'node:path';
import { setImmediate as yieldTurn } from 'node:timers/promises';
import { splitNs, type Engine, type JournalRecord } from '../engine/engine';
import type { IndexImage } from '../engine/secondary-index';
import { ID_INDEX } from '../engine/collection';
import { FsyncPolicy, Journal, fsyncDir } from './journal';
import { acquireLock } from './lock-file';
import { openPrivate, securePrivateDir } from './private-files';
import { frame, readRecords } from './record-file';
import { imageRecords, isIndexImageRecord, readImageRecord } from './index-image';

const MIN_COMPACT_BYTES = 64 * 1024 * 1024;
const DOCS_PER_SNAPSHOT_RECORD = 1000;
const MAX_IMAGED_DOCS = 16_000_000;

export interface RecoveryStats {
  records: number;
  /** Bytes of snapshot and journal read. */
  bytes: number;
  truncatedBytes: number;
  millis: number;
  /** Indexes loaded from the snapshot's index images, and computed from documents. */
  indexes?: { loaded: number; built: number };
}

/** How far loading a data directory has come: reported at its start and then every few seconds. */
export interface RecoveryProgress {
  /** The file being read (snapshot-N.bson or journal-N.log). */
  file: string;
  bytesRead: number;
  totalBytes: number;
}

export interface ProgressReporting {
  onProgress(progress: RecoveryProgress): void;
  /** Least time between two reports after the first (default 3 s). */
  everyMs?: number;
}

const PROGRESS_EVERY_MS = 3000;

function gens(dir: string, prefix: string, suffix: string): number[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith(suffix))
    .map((f) => Number(f.slice(prefix.length, f.length - suffix.length)))
    .filter((n) => Number.isInteger(n))
    .sort((a, b) => a - b);
}

export class Persistence {
  private journal!: Journal;
  private gen = 0;
  private compacting?: Promise<void>;
  private snapshotBytes = 0;
  private readonly release: () => void;
  recovery: RecoveryStats = { records: 0, bytes: 0, truncatedBytes: 0, millis: 0 };

  constructor(
    private readonly dir: string,
    private readonly engine: Engine,
    private readonly policy: FsyncPolicy,
    private readonly compactAt = MIN_COMPACT_BYTES,
    private readonly progress?: ProgressReporting,
  ) {
    securePrivateDir(dir, (entry, mode) => process.emitWarning(`embedded-mongo: ${entry} could be read by other users (mode ${mode}); made owner-only`));
    this.release = acquireLock(dir);
    try {
      this.recover();
    } catch (e) {
      this.release();
      throw e;
    }
  }

  private file(kind: 'snapshot' | 'journal', gen: number): string {
    return path.join(this.dir, kind === 'snapshot' ? `snapshot-${gen}.bson` : `journal-${gen}.log`);
  }

  private recover(): void {
    const started = Date.now();
    const snaps = gens(this.dir, 'snapshot-', '.bson');
    const base = snaps.length > 0 ? snaps[snaps.length - 1] : 0;
    const apply = (r: JournalRecord) => {
      if (isIndexImageRecord(r)) {
        const ids = this.engine.collection(...splitNs(r.ns))?.replayedIds ?? [];
        const { keys, values } = readImageRecord(r, ids);
        this.engine.preloadIndex(r.ns, r.name, keys, values, r.multikey);
      } else this.engine.replay(r);
      this.recovery.records++;
    };
    const journals = gens(this.dir, 'journal-', '.log').filter((g) => g >= base);
    const read = this.progressOf([...(snaps.length > 0 ? [this.file('snapshot', base)] : []), ...journals.map((g) => this.file('journal', g))]);
    this.engine.beginReplay();
    try {
      if (snaps.length > 0) {
        const res = readRecords(this.file('snapshot', base), apply, read(this.file('snapshot', base)));
        if (res.garbage > 0) throw new Error(`snapshot ${this.file('snapshot', base)} is corrupt at byte ${res.validLength}`);
        this.snapshotBytes = res.validLength;
        this.engine.endSnapshot();
      }
      for (const g of journals) {
        const f = this.file('journal', g);
        const res = readRecords(f, apply, read(f));
        if (res.garbage > 0) {
          // A record cut short by a crash was never acknowledged: drop it so appends continue from a clean end.
          fs.truncateSync(f, res.validLength);
          this.recovery.truncatedBytes += res.garbage;
          process.emitWarning(`embedded-mongo: discarded ${res.garbage} bytes of torn journal tail in ${f}`);
        }
      }
    } finally {
      this.engine.endReplay();
      this.recovery.indexes = { ...this.engine.replayedIndexes };
    }
    this.gen = journals.length > 0 ? journals[journals.length - 1] : base;
    this.removeOlderThan(base);
    for (const f of fs.readdirSync(this.dir)) if (f.endsWith('.tmp')) fs.rmSync(path.join(this.dir, f), { force: true });
    this.journal = new Journal(this.file('journal', this.gen), this.policy);
    this.journal.onFlushed = () => this.maybeCompact();
    this.engine.journal = this.journal;
    this.recovery.millis = Date.now() - started;
  }

  /**
   * Counts the bytes read into `recovery.bytes` and reports them: once at the start (so a long load is announced),
   * then at most every `everyMs`. Returns, per file, the callback for readRecords.
   */
  private progressOf(files: string[]): (file: string) => (bytes: number) => void {
    const totalBytes = files.reduce((n, f) => n + fs.statSync(f).size, 0);
    const everyMs = this.progress?.everyMs ?? PROGRESS_EVERY_MS;
    let last = Date.now();
    if (totalBytes > 0) this.progress?.onProgress({ file: path.basename(files[0]), bytesRead: 0, totalBytes });
    return (file) => (bytes) => {
      this.recovery.bytes += bytes;
      if (!this.progress || Date.now() - last < everyMs) return;
      last = Date.now();
      this.progress.onProgress({ file: path.basename(file), bytesRead: this.recovery.bytes, totalBytes });
    };
  }

  private removeOlderThan(gen: number): void {
    for (const g of gens(this.dir, 'snapshot-', '.bson')) if (g < gen) fs.rmSync(this.file('snapshot', g), { force: true });
    for (const g of gens(this.dir, 'journal-', '.log')) if (g < gen) fs.rmSync(this.file('journal', g), { force: true });
  }

  private maybeCompact(): void {
    if (this.compacting) return;
    if (this.journal.size < Math.max(this.compactAt, this.snapshotBytes)) return;
    this.compact().catch((e: Error) => process.emitWarning(`embedded-mongo: compaction failed: ${e.message}`));
  }

  /** Writes a snapshot of the current state and starts a new journal; old files go once the snapshot is durable. */
  async compact(): Promise<void> {
    // One compaction at a time: a second request waits for the running one, then compacts again.
    while (this.compacting) await this.compacting.catch(() => undefined);
    this.compacting = this.compactNow().finally(() => {
      this.compacting = undefined;
    });
    return this.compacting;
  }

  private async compactNow(): Promise<void> {
    const next = this.gen + 1;
    await this.journal.switchTo(this.file('journal', next));
    const { ts, records, images } = this.captureState();
    const tmp = `${this.file('snapshot', next)}.tmp`;
    const fd = openPrivate(tmp, 'w');
    let bytes = 0;
    const write = (record: JournalRecord) => {
      const buf = frame(record);
      bytes += buf.length;
      return new Promise<void>((resolve, reject) => fs.write(fd, buf, 0, buf.length, null, (err) => (err ? reject(err) : resolve())));
    };
    try {
      for (const record of records) await write(record);
      // Index images after every document, so a collection's positions are all known when its entries are read.
      for (const { ns, ids, indexes } of images) {
        const positions = new Map<string, number>();
        for (let i = 0; i < ids.length; i++) {
          positions.set(ids[i], i);
          if (i % 65_536 === 65_535) await yieldTurn();
        }
        for (const [name, image] of indexes) for (const record of imageRecords(ts, ns, name, image, positions)) await write(record);
      }
      await new Promise<void>((resolve, reject) => fs.fsync(fd, (err) => (err ? reject(err) : resolve())));
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file('snapshot', next));
    fsyncDir(this.dir);
    this.gen = next;
    this.snapshotBytes = bytes;
    this.removeOlderThan(next);
  }

  /**
   * The live state as replayable records, and images of the indexes of collections that have no versions kept for
   * open transactions; taken synchronously so both match the journal switch point.
   */
  private captureState(): { ts: number; records: JournalRecord[]; images: Array<{ ns: string; ids: string[]; indexes: Map<string, IndexImage> }> } {
    const ts = this.engine.clock;
    const records: JournalRecord[] = [];
    const images: Array<{ ns: string; ids: string[]; indexes: Map<string, IndexImage> }> = [];
    for (const coll of this.engine.allCollections()) {
      records.push({ ts, cat: 'create', ns: coll.ns, options: coll.options });
      for (const index of coll.indexes.values()) if (index.name !== ID_INDEX.name) records.push({ ts, cat: 'index', ns: coll.ns, spec: index.spec });
      let ops: NonNullable<JournalRecord['ops']> = [];
      const ids: string[] = [];
      for (const [id, doc] of coll.liveDocs()) {
        ids.push(id);
        ops.push({ ns: coll.ns, d: doc });
        if (ops.length >= DOCS_PER_SNAPSHOT_RECORD) {
          records.push({ ts, ops });
          ops = [];
        }
      }
      if (ops.length > 0) records.push({ ts, ops });
      // (A V8 Map, which maps ids to positions, holds at most 2^24 entries.)
      const indexes = ids.length < MAX_IMAGED_DOCS ? coll.indexImages() : undefined;
      if (indexes) images.push({ ns: coll.ns, ids, indexes });
    }
    return { ts, records, images };
  }

  get journalBytes(): number {
    return this.journal.size;
  }

  /** Bytes of the current snapshot and journal: what the data directory's files hold. */
  get fileBytes(): number {
    return this.snapshotBytes + this.journal.size;
  }

  async close(): Promise<void> {
    if (this.compacting) await this.compacting.catch(() => undefined);
    await this.journal.close();
    this.engine.journal = undefined;
    this.release();
  }
}
