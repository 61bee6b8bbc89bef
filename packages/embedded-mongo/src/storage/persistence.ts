/**
 * A data directory: its lock, the store (`store/data.mdb`, see store.ts), the fsync policy, the migration of the
 * in-memory engine's files (journal and snapshots) into the store on the first start, compaction (a compacting copy
 * of the store swapped in, so that no page keeps a deleted or overwritten document) and hot backups.
 *
 * Without a directory (tests, demos) the store lives in a fresh temporary directory removed on close.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Engine, JournalRecord } from '../engine/engine';
import { Durability, type FsyncPolicy } from './durability';
import { acquireLock } from './lock-file';
import { securePrivateDir } from './private-files';
import { readRecords } from './record-file';
import { STORE_DIR, STORE_FILE, Store } from './store';

export interface RecoveryStats {
  /** Records of an older data directory's journal and snapshot migrated into the store at this start. */
  records: number;
  /** Bytes of snapshot and journal read (migration). */
  bytes: number;
  truncatedBytes: number;
  millis: number;
}

/** How far migrating a data directory has come: reported at its start and then every few seconds. */
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
/** The folder of a compacting copy under way, inside the store's. */
const COMPACT_COPY = 'compacting';
/**
 * Documents of an older journal applied per store write while migrating: a write transaction holds its pages in
 * memory until it commits (a snapshot record alone holds 1,000 documents).
 */
const DOCS_PER_WRITE = 2000;

function gens(dir: string, prefix: string, suffix: string): number[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith(suffix))
    .map((f) => Number(f.slice(prefix.length, f.length - suffix.length)))
    .filter((n) => Number.isInteger(n))
    .sort((a, b) => a - b);
}

export class Persistence {
  readonly store: Store;
  private readonly durability?: Durability;
  private readonly release: () => void;
  private readonly temporary: boolean;
  private readonly dir: string;
  private compacting?: Promise<number>;
  recovery: RecoveryStats = { records: 0, bytes: 0, truncatedBytes: 0, millis: 0 };

  constructor(
    dir: string | undefined,
    policy: FsyncPolicy,
    private readonly progress?: ProgressReporting,
  ) {
    this.temporary = dir === undefined;
    this.dir = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'embedded-mongo-'));
    if (this.temporary) this.release = () => undefined;
    else {
      securePrivateDir(this.dir, (entry, mode) => process.emitWarning(`embedded-mongo: ${entry} could be read by other users (mode ${mode}); made owner-only`));
      this.release = acquireLock(this.dir);
    }
    try {
      // A compaction cut short by a crash leaves its unfinished copy: the store itself is whole.
      fs.rmSync(path.join(this.dir, STORE_DIR, COMPACT_COPY), { recursive: true, force: true });
      this.store = new Store(path.join(this.dir, STORE_DIR));
      if (!this.temporary) this.durability = new Durability(this.store.file, policy);
    } catch (e) {
      this.release();
      throw e;
    }
  }

  /** Connects the engine: migrates an older data directory's files into the store, then makes writes durable. */
  attach(engine: Engine): void {
    const started = Date.now();
    if (!this.temporary) this.migrate(engine);
    const durability = this.durability;
    if (durability) engine.durable = () => durability.request();
    this.recovery.millis = Date.now() - started;
  }

  private file(kind: 'snapshot' | 'journal', gen: number): string {
    return path.join(this.dir, kind === 'snapshot' ? `snapshot-${gen}.bson` : `journal-${gen}.log`);
  }

  /**
   * The in-memory engine kept its data as the newest complete snapshot plus the journals after it. Their records
   * are applied to the store (index images are left out: the store builds its entries as documents arrive), the
   * store is synced, and only then are the old files removed. A start cut short by a crash migrates again from the
   * start: the store's state is rebuilt by the same records, in the same order.
   */
  private migrate(engine: Engine): void {
    const snaps = gens(this.dir, 'snapshot-', '.bson');
    const base = snaps.length > 0 ? snaps[snaps.length - 1] : 0;
    const journals = gens(this.dir, 'journal-', '.log').filter((g) => g >= base);
    const files = [...(snaps.length > 0 ? [this.file('snapshot', base)] : []), ...journals.map((g) => this.file('journal', g))];
    if (files.length === 0) return;
    const read = this.progressOf(files);
    let pending: JournalRecord[] = [];
    let docs = 0;
    const flush = () => {
      const batch = pending;
      pending = [];
      docs = 0;
      engine.store.write(() => batch.forEach((r) => engine.replay(r)));
    };
    for (const f of files) {
      const res = readRecords(
        f,
        (r) => {
          // (Index images, `cat: 'keys'`, were the in-memory indexes' entries: the store builds its own.)
          if (r.cat === 'keys') return;
          pending.push(r);
          this.recovery.records++;
          docs += r.ops?.length ?? 1;
          if (docs >= DOCS_PER_WRITE) flush();
        },
        read(f),
      );
      flush();
      // A torn tail was never acknowledged: it ends the log.
      this.recovery.truncatedBytes += res.garbage;
    }
    const fd = fs.openSync(this.store.file, 'r');
    try {
      fs.fdatasyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    for (const f of fs.readdirSync(this.dir)) {
      if (/^(snapshot-\d+\.bson|journal-\d+\.log)(\.tmp)?$/.test(f)) fs.rmSync(path.join(this.dir, f), { force: true });
    }
  }

  /**
   * Counts the bytes read into `recovery.bytes` and reports them: once at the start (so a long migration is
   * announced), then at most every `everyMs`. Returns, per file, the callback for readRecords.
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

  /** Bytes the store's file takes on disk. */
  get fileBytes(): number {
    return fs.statSync(this.store.file).blocks * 512;
  }

  /**
   * Rewrites the store as a compacting copy and swaps it in: freed pages (which still hold deleted and overwritten
   * documents and index entries) are not copied, so no byte of them is left in the data directory. Commands wait
   * while it runs (`store.paused`), and open transactions are aborted (their snapshots are of the old file).
   * Resolves with the bytes the file shrank by.
   */
  compact(engine: Engine): Promise<number> {
    const run = async (): Promise<number> => {
      while (this.compacting) await this.compacting.catch(() => undefined);
      const before = this.fileBytes;
      const tmp = path.join(this.store.dir, COMPACT_COPY);
      let resume = () => {};
      this.store.paused = new Promise<void>((resolve) => (resume = resolve));
      try {
        engine.abortAll();
        fs.rmSync(tmp, { recursive: true, force: true });
        await this.store.copyTo(tmp, true);
        const copy = path.join(tmp, STORE_FILE);
        const fd = fs.openSync(copy, 'r');
        try {
          fs.fdatasyncSync(fd);
        } finally {
          fs.closeSync(fd);
        }
        await this.store.swapIn(copy);
        this.durability?.reopen();
        const dirFd = fs.openSync(this.store.dir, 'r');
        try {
          fs.fsyncSync(dirFd);
        } finally {
          fs.closeSync(dirFd);
        }
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
        this.store.paused = undefined;
        resume();
      }
      return Math.max(0, before - this.fileBytes);
    };
    const p = run();
    this.compacting = p;
    return p.finally(() => {
      if (this.compacting === p) this.compacting = undefined;
    });
  }

  /**
   * A hot backup: a consistent copy of the store, compacted, taken from one snapshot while writes go on, as the data
   * directory `target` (created, owner-only; it must not hold a store already). An engine started on it finds the
   * data as it was when the copy began.
   */
  async backup(target: string): Promise<void> {
    fs.mkdirSync(target, { recursive: true, mode: 0o700 });
    await this.store.copyTo(path.join(target, STORE_DIR), true);
  }

  async close(): Promise<void> {
    if (this.compacting) await this.compacting.catch(() => undefined);
    await this.durability?.close();
    await this.store.close();
    this.release();
    if (this.temporary) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
