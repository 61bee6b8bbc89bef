/**
 * Exclusive ownership of a data directory: `mongod.lock` names its holder. It is written whole under a temporary
 * name and linked into place, so it never exists half-written and of two creators one wins. A lock whose holder is
 * gone (crash, kill -9) is taken over, by one contender only (see replaceStale); a live holder, even another thread
 * of this process, is refused.
 *
 * A pid alone does not say the holder is alive: after a kill -9 the pid may be recycled by an unrelated process,
 * which would keep the directory locked for good. So the lock also records the holder's start time (in clock ticks
 * since boot, /proc/<pid>/stat) and the boot id: the holder is alive only if a process with that pid started at
 * that time in this boot. Node has no flock(2), a lock the kernel would release itself, without a native module.
 * Where /proc is missing (macOS, Windows) a live pid still counts as the holder.
 */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { openPrivate } from './private-files';

const heldHere = new Set<string>();

interface Holder {
  pid: number;
  /** Start time of the holder, clock ticks since boot (Linux); undefined in locks of older versions. */
  startTicks?: string;
  bootId?: string;
}

function readProc(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/<pid>/stat; the command name before it is in parentheses and may hold spaces. */
function startTicksOf(pid: number): string | undefined {
  const stat = readProc(`/proc/${pid}/stat`);
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

/** This boot of the machine: a pid and start time name a process only within one boot. */
function bootId(): string | undefined {
  return readProc('/proc/sys/kernel/random/boot_id')?.trim();
}

function thisHolder(): Holder {
  return { pid: process.pid, startTicks: startTicksOf(process.pid), bootId: bootId() };
}

function parseHolder(text: string): Holder | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return { pid: Number(trimmed) };
  try {
    const holder = JSON.parse(trimmed) as Holder;
    return Number.isInteger(holder.pid) && holder.pid > 0 ? holder : undefined;
  } catch {
    return undefined;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Clocks of the file system and the process may differ by rounding: a few milliseconds' grace. */
const CLOCK_SLACK_MS = 10;

function lockedSinceProcessStart(file: string): boolean {
  const processStart = Date.now() - process.uptime() * 1000;
  try {
    return fs.statSync(file).mtimeMs >= processStart - CLOCK_SLACK_MS;
  } catch {
    return false; // removed meanwhile: released
  }
}

/** Is the process the lock names still the one that wrote it? */
function holderAlive(holder: Holder, file: string): boolean {
  if (!pidAlive(holder.pid)) return false;
  const now = startTicksOf(holder.pid);
  if (now === undefined) {
    // No /proc: the pid is all there is. Our own pid is another thread only if locked since this process started.
    return holder.pid !== process.pid || lockedSinceProcessStart(file);
  }
  if (holder.startTicks !== undefined) {
    return holder.bootId === bootId() && holder.startTicks === now;
  }
  // A lock of an older version (pid only): only a Node process can be an engine.
  if (holder.pid === process.pid) return lockedSinceProcessStart(file);
  const argv0 = (readProc(`/proc/${holder.pid}/cmdline`) ?? '').split('\0')[0];
  return /node/i.test(path.basename(argv0));
}

/** `code` survives the trip from the engine's thread, where the class does not. */
export const DATA_DIR_LOCKED = 'DATA_DIR_LOCKED';

export class DataDirLockedError extends Error {
  readonly code = DATA_DIR_LOCKED;
  override name = 'DataDirLockedError';
}

/** A lock file's text: written whole under a name of its own, then linked or renamed into place. */
function writeTemp(file: string, text: string): string {
  const temp = `${file}.${randomUUID()}.tmp`;
  const fd = openPrivate(temp, 'wx');
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return temp;
}

/** Creates `file` holding `text` if it does not exist: link(2) fails rather than replace, so one creator wins. */
function createWith(file: string, text: string): boolean {
  const temp = writeTemp(file, text);
  try {
    fs.linkSync(temp, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return false;
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Replaces `file`, found holding the stale `stale`, with `text`; false when another contender got there first or
 * is at it. Removing a stale lock and creating one would let two contenders that both read the stale holder each
 * remove what the other created. So the takeover of that one stale content is claimed first (a file named after
 * it, created with link, so one contender has it), and the claimant replaces the lock (rename, atomic) only if it
 * still holds that content. A claim whose claimant died midway is stale in turn and taken over the same way.
 */
function replaceStale(file: string, stale: string, text: string): boolean {
  const claim = `${file}.takeover-${createHash('sha256').update(stale).digest('hex').slice(0, 16)}`;
  if (!createWith(claim, text)) {
    const claimed = readProc(claim);
    if (claimed === undefined) return false; // finished meanwhile: look at the lock again
    const claimant = parseHolder(claimed);
    if (claimant && holderAlive(claimant, claim)) {
      Atomics.wait(pause, 0, 0, 5); // a takeover in progress takes microseconds: look again shortly
      return false;
    }
    if (!replaceStale(claim, claimed, text)) return false;
  }
  try {
    if (readProc(file) !== stale) return false;
    fs.renameSync(writeTemp(file, text), file);
    return true;
  } finally {
    fs.rmSync(claim, { force: true });
  }
}

export function acquireLock(dir: string): () => void {
  const file = path.join(dir, 'mongod.lock');
  const key = path.resolve(file);
  if (heldHere.has(key)) throw new DataDirLockedError(`data directory ${dir} is already open in this process`);
  const text = `${JSON.stringify(thisHolder())}\n`;
  for (let attempt = 0; attempt < 200; attempt++) {
    let held = createWith(file, text);
    if (!held) {
      const found = readProc(file);
      if (found === undefined) continue; // released meanwhile
      const holder = parseHolder(found);
      if (holder && holderAlive(holder, file)) {
        if (holder.pid === process.pid) throw new DataDirLockedError(`data directory ${dir} is already open in this process`);
        throw new DataDirLockedError(`data directory ${dir} is locked by running process ${holder.pid} (${file})`);
      }
      // Stale: its holder is gone (or the file is unreadable, cut short by a crash while an older version wrote it).
      held = replaceStale(file, found, text);
    }
    if (held) {
      heldHere.add(key);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        heldHere.delete(key);
        fs.rmSync(file, { force: true });
      };
    }
  }
  throw new DataDirLockedError(`could not take the lock ${file}`);
}
