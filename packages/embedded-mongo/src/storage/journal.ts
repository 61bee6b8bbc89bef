/**
 * Append-only journal with group commit. Records appended during one turn of the event loop are written with a
 * single write(2); under the 'always' policy the waiting replies are released only after one fdatasync covering
 * all of them, so concurrent writers share the cost of an fsync instead of paying one each.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { JournalRecord, JournalSink } from '../engine/engine';
import { frame } from './record-file';
import { openPrivate } from './private-files';

export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export type FsyncPolicy = 'always' | 'batch' | 'never';

const BATCH_INTERVAL_MS = 100;

interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
}

export class Journal implements JournalSink {
  private fd: number;
  private buffers: Buffer[] = [];
  private waiters: Waiter[] = [];
  private scheduled = false;
  private syncing = false;
  private dirty = false;
  private timer?: NodeJS.Timeout;
  private failure?: Error;
  private idle: Array<() => void> = [];
  /** Bytes in the current journal file. */
  size: number;
  /** Called after each flush; used to trigger compaction. */
  onFlushed?: () => void;

  constructor(
    file: string,
    private readonly policy: FsyncPolicy,
  ) {
    this.fd = openPrivate(file, 'a');
    this.size = fs.fstatSync(this.fd).size;
    fsyncDir(path.dirname(file));
    if (policy === 'batch') {
      this.timer = setInterval(() => this.backgroundSync(), BATCH_INTERVAL_MS);
      this.timer.unref();
    }
  }

  append(record: JournalRecord): Promise<void> {
    // Framed even when it cannot be written: framing is what releases the received bytes the record refers to.
    const framed = frame(record);
    if (this.failure) return Promise.reject(this.failure);
    this.buffers.push(framed);
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.schedule();
    return p;
  }

  private schedule(): void {
    if (this.scheduled || this.syncing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.buffers.length === 0) {
      this.settleIdle();
      return;
    }
    const waiters = this.waiters;
    const data = this.buffers.length === 1 ? this.buffers[0] : Buffer.concat(this.buffers);
    this.buffers = [];
    this.waiters = [];
    try {
      let off = 0;
      while (off < data.length) off += fs.writeSync(this.fd, data, off);
      this.size += data.length;
    } catch (e) {
      this.fail(e as Error, waiters);
      return;
    }
    if (this.policy !== 'always') {
      this.dirty = true;
      waiters.forEach((w) => w.resolve());
      this.onFlushed?.();
      this.settleIdle();
      return;
    }
    this.syncing = true;
    fs.fdatasync(this.fd, (err) => {
      this.syncing = false;
      if (err) {
        this.fail(err, waiters);
        return;
      }
      waiters.forEach((w) => w.resolve());
      this.onFlushed?.();
      if (this.buffers.length > 0) this.schedule();
      else this.settleIdle();
    });
  }

  private fail(e: Error, waiters: Waiter[]): void {
    // After a failed write or fsync the file state is unknown: refuse every later write (as mongod would abort).
    this.failure = e;
    for (const w of [...waiters, ...this.waiters]) w.reject(e);
    this.waiters = [];
    this.settleIdle();
  }

  private backgroundSync(): void {
    if (!this.dirty || this.syncing) return;
    this.dirty = false;
    this.syncing = true;
    fs.fdatasync(this.fd, () => {
      this.syncing = false;
      // A drain() (close, compaction) that began during this sync waits for it: release it here as flush() does,
      // or it waits forever (the shutdown hang of issue 27).
      if (this.buffers.length > 0) this.schedule();
      else this.settleIdle();
    });
  }

  private settleIdle(): void {
    if (this.buffers.length > 0 || this.syncing || this.scheduled) return;
    const idle = this.idle;
    this.idle = [];
    idle.forEach((f) => f());
  }

  /** Resolves when everything appended so far is written (and synced under 'always'). */
  drain(): Promise<void> {
    if (this.buffers.length === 0 && !this.syncing && !this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Switches to a new file (compaction); everything before is flushed and synced first. */
  async switchTo(file: string): Promise<void> {
    await this.drain();
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.fd = openPrivate(file, 'a');
    this.size = 0;
    // fdatasync covers the file's data, not its directory entry: make the new file itself survive a power loss.
    fsyncDir(path.dirname(file));
  }

  async close(): Promise<void> {
    await this.drain();
    if (this.timer) clearInterval(this.timer);
    if (this.policy !== 'never') fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
  }
}
