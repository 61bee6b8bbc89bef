/**
 * Exclusive ownership of a data directory: `mongod.lock` created with O_EXCL holding our pid. A lock left by a
 * process that no longer exists (crash, kill -9) is taken over; a live owner, even in this process, is refused.
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
      // Stale: its owner is gone (or it is our own pid from a previous life of a recycled pid namespace).
      fs.rmSync(file, { force: true });
    }
  }
  throw new DataDirLockedError(`could not take the lock ${file}`);
}
