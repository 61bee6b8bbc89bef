/**
 * A data directory: lock, recovery (newest complete snapshot + the journals after it, torn tails truncated),
 * and compaction (a new journal plus a snapshot of the live state, after which the old files are deleted).
 *
 * Files: mongod.lock, snapshot-<gen>.bson (complete only under this name; written as .tmp, fsynced, renamed),
 * journal-<gen>.log (everything after snapshot-<gen>; journal-<gen+1> may exist if a compaction was cut short).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Engine, JournalRecord } from '../engine/engine';
import { ID_INDEX } from '../engine/collection';
import { FsyncPolicy, Journal, fsyncDir } from './journal';
import { acquireLock } from './lock-file';
import { frame, readRecords } from './record-file';

const MIN_COMPACT_BYTES = 64 * 1024 * 1024;
const DOCS_PER_SNAPSHOT_RECORD = 1000;

export interface RecoveryStats {
  records: number;
  truncatedBytes: number;
  millis: number;
}

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
  recovery: RecoveryStats = { records: 0, truncatedBytes: 0, millis: 0 };

  constructor(
    private readonly dir: string,
    private readonly engine: Engine,
    private readonly policy: FsyncPolicy,
    private readonly compactAt = MIN_COMPACT_BYTES,
  ) {
    fs.mkdirSync(dir, { recursive: true });
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
      this.engine.replay(r);
      this.recovery.records++;
    };
    this.engine.beginReplay();
    let journals: number[];
    try {
      if (snaps.length > 0) {
        const res = readRecords(this.file('snapshot', base), apply);
        if (res.garbage > 0) throw new Error(`snapshot ${this.file('snapshot', base)} is corrupt at byte ${res.validLength}`);
        this.snapshotBytes = res.validLength;
      }
      journals = gens(this.dir, 'journal-', '.log').filter((g) => g >= base);
      for (const g of journals) {
        const f = this.file('journal', g);
        const res = readRecords(f, apply);
        if (res.garbage > 0) {
          // A record cut short by a crash was never acknowledged: drop it so appends continue from a clean end.
          fs.truncateSync(f, res.validLength);
          this.recovery.truncatedBytes += res.garbage;
          process.emitWarning(`embedded-mongo: discarded ${res.garbage} bytes of torn journal tail in ${f}`);
        }
      }
    } finally {
      this.engine.endReplay();
    }
    this.gen = journals.length > 0 ? journals[journals.length - 1] : base;
    this.removeOlderThan(base);
    for (const f of fs.readdirSync(this.dir)) if (f.endsWith('.tmp')) fs.rmSync(path.join(this.dir, f), { force: true });
    this.journal = new Journal(this.file('journal', this.gen), this.policy);
    this.journal.onFlushed = () => this.maybeCompact();
    this.engine.journal = this.journal;
    this.recovery.millis = Date.now() - started;
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
    const records = this.captureState();
    const tmp = `${this.file('snapshot', next)}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    let bytes = 0;
    try {
      for (let i = 0; i < records.length; i++) {
        const buf = frame(records[i]);
        bytes += buf.length;
        await new Promise<void>((resolve, reject) => fs.write(fd, buf, 0, buf.length, null, (err) => (err ? reject(err) : resolve())));
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

  /** The live state as replayable records; taken synchronously so it matches the journal switch point. */
  private captureState(): JournalRecord[] {
    const ts = this.engine.clock;
    const out: JournalRecord[] = [];
    for (const coll of this.engine.allCollections()) {
      out.push({ ts, cat: 'create', ns: coll.ns, options: coll.options });
      for (const index of coll.indexes.values()) if (index.name !== ID_INDEX.name) out.push({ ts, cat: 'index', ns: coll.ns, spec: index.spec });
      let ops: NonNullable<JournalRecord['ops']> = [];
      for (const [, doc] of coll.liveDocs()) {
        ops.push({ ns: coll.ns, d: doc });
        if (ops.length >= DOCS_PER_SNAPSHOT_RECORD) {
          out.push({ ts, ops });
          ops = [];
        }
      }
      if (ops.length > 0) out.push({ ts, ops });
    }
    return out;
  }

  get journalBytes(): number {
    return this.journal.size;
  }

  async close(): Promise<void> {
    if (this.compacting) await this.compacting.catch(() => undefined);
    await this.journal.close();
    this.engine.journal = undefined;
    this.release();
  }
}
