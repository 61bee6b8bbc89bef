/**
 * When committed writes reach the disk. A store commit writes its pages into the store's file without an fsync, so
 * they are in the OS's page cache once the commit returns: a killed process loses nothing. Power loss or an OS crash
 * is what the policy is about:
 * - 'always': the reply waits for an fdatasync of the file. Commits made while one runs share the next (group
 *   commit), and a sync starts only on the turn after the request, once the command's write has committed.
 * - 'batch': an fdatasync at most every 100 ms in the background, if anything was written.
 * - 'never': the OS writes back when it likes.
 */
import fs from 'node:fs';

export type FsyncPolicy = 'always' | 'batch' | 'never';

const BATCH_INTERVAL_MS = 100;

interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
}

export class Durability {
  private fd: number;
  private waiters: Waiter[] = [];
  private scheduled = false;
  private syncing?: Promise<void>;
  private dirty = false;
  private readonly timer?: NodeJS.Timeout;

  constructor(
    private readonly file: string,
    private readonly policy: FsyncPolicy,
  ) {
    this.fd = fs.openSync(file, 'r');
    if (policy === 'batch') {
      this.timer = setInterval(() => {
        if (this.dirty && !this.syncing) void this.sync([]).catch(() => undefined);
      }, BATCH_INTERVAL_MS);
      this.timer.unref();
    }
  }

  /** Resolves when the writes committed so far (and the one about to commit in this turn) are durable enough. */
  request(): Promise<void> {
    if (this.policy === 'never') return Promise.resolve();
    this.dirty = true;
    if (this.policy === 'batch') return Promise.resolve();
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.schedule();
    return p;
  }

  private schedule(): void {
    if (this.scheduled || this.syncing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.sync(this.waiters.splice(0)).catch(() => undefined);
    });
  }

  private sync(waiters: Waiter[]): Promise<void> {
    this.dirty = false;
    this.syncing = new Promise<void>((resolve, reject) =>
      fs.fdatasync(this.fd, (err) => {
        this.syncing = undefined;
        for (const w of waiters)
          if (err) w.reject(err);
          else w.resolve();
        if (this.waiters.length > 0) this.schedule();
        if (err) reject(err);
        else resolve();
      }),
    );
    return this.syncing;
  }

  /** After the store's file was replaced (a compacting copy swapped in): syncs that file from now on. */
  reopen(): void {
    fs.closeSync(this.fd);
    this.fd = fs.openSync(this.file, 'r');
  }

  /** Waits for a running sync, syncs what is left, and stops. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    while (this.syncing) await this.syncing.catch(() => undefined);
    if (this.dirty || this.waiters.length > 0) await this.sync(this.waiters.splice(0)).catch(() => undefined);
    fs.closeSync(this.fd);
  }
}
