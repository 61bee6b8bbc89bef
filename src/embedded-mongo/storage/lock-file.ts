/**
 * Exclusive ownership of a data directory: `mongod.lock` created with O_EXCL holding our pid. A lock left by a
 * process that no longer exists (crash, kill -9) is taken over; a live owner, even another thread of this process,
 * is refused.
 */
import fs from 'node:fs';
import path from 'node:path';

const heldHere = new Set<string>();

function alive(pid: number): boolean {
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

export class DataDirLockedError extends Error {}

export function acquireLock(dir: string): () => void {
  const file = path.join(dir, 'mongod.lock');
  const key = path.resolve(file);
  if (heldHere.has(key)) throw new DataDirLockedError(`data directory ${dir} is already open in this process`);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx');
      fs.writeSync(fd, String(process.pid));
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      heldHere.add(key);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        heldHere.delete(key);
        fs.rmSync(file, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new DataDirLockedError(`data directory ${dir} is locked by running process ${owner} (${file})`);
      }
      // Our own pid: another thread of this process (an engine on a worker thread) when the lock is younger than
      // the process; otherwise a previous life of a recycled pid (a container's pid 1 after a restart).
      if (owner === process.pid && lockedSinceProcessStart(file)) {
        throw new DataDirLockedError(`data directory ${dir} is already open in this process`);
      }
      // Stale: its owner is gone.
      fs.rmSync(file, { force: true });
    }
  }
  throw new DataDirLockedError(`could not take the lock ${file}`);
}
