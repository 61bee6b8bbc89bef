/**
 * Folders holding patient data (the data directory, export folders) and every file in them are the owner's alone:
 * folders 0700, files 0600, set explicitly rather than left to the umask.
 *
 * An existing folder that others may enter is refused, not tightened: it may be a folder the operator shares on
 * purpose (`DATA_DIR=/tmp`, a home directory), and chmod-ing it would break other things. Inside an owner-only
 * folder, anything others could read (files from older versions, created under a 022 umask) is tightened, and the
 * caller is told, so it can warn.
 */
import fs from 'node:fs';
import path from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

export class SharedDirectoryError extends Error {}

const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;

/**
 * Creates `dir` (0700) or checks that only its owner, this user, can enter it; then tightens what it holds.
 * `onTightened` hears of every entry whose mode was loosened (path, old mode).
 */
export function securePrivateDir(dir: string, onTightened: (entry: string, oldMode: string) => void): void {
  try {
    fs.mkdirSync(dir, { mode: PRIVATE_DIR_MODE });
    fs.chmodSync(dir, PRIVATE_DIR_MODE);
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      fs.mkdirSync(path.dirname(dir), { recursive: true });
      return securePrivateDir(dir, onTightened);
    }
    if (code !== 'EEXIST') throw e;
  }
  const st = fs.statSync(dir);
  if (!st.isDirectory()) throw new SharedDirectoryError(`${dir} is not a directory`);
  if (process.getuid && st.uid !== process.getuid()) {
    throw new SharedDirectoryError(`${dir} belongs to another user (uid ${st.uid}): it holds patient data, use a directory of this user's own`);
  }
  if (st.mode & 0o077) {
    throw new SharedDirectoryError(
      `${dir} may be entered by other users (mode ${octal(st.mode)}): it holds patient data. Run chmod 700 ${dir}, or choose another directory`,
    );
  }
  tightenTree(dir, onTightened);
}

function tightenTree(dir: string, onTightened: (entry: string, oldMode: string) => void): void {
  for (const name of fs.readdirSync(dir)) {
    const entry = path.join(dir, name);
    const st = fs.lstatSync(entry);
    if (st.isSymbolicLink() || (process.getuid && st.uid !== process.getuid())) continue;
    if (st.isDirectory()) {
      if ((st.mode & 0o777) !== PRIVATE_DIR_MODE) {
        fs.chmodSync(entry, PRIVATE_DIR_MODE);
        onTightened(entry, octal(st.mode));
      }
      tightenTree(entry, onTightened);
    } else if (st.mode & 0o077) {
      fs.chmodSync(entry, st.mode & 0o700);
      onTightened(entry, octal(st.mode));
    }
  }
}

/** Opens (creating it 0600 if need be) a file with the given flags, and makes its mode 0600 whatever the umask. */
export function openPrivate(file: string, flags: string): number {
  const fd = fs.openSync(file, flags, PRIVATE_FILE_MODE);
  try {
    fs.fchmodSync(fd, PRIVATE_FILE_MODE);
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
  return fd;
}

/** A folder created (or tightened to) 0700 inside a private folder; `recursive` like mkdir -p below it. */
export function makePrivateSubdir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  fs.chmodSync(dir, PRIVATE_DIR_MODE);
}
