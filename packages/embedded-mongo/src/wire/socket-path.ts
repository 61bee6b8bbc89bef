/**
 * Where the engine's unix domain socket lives: `mongod.sock` in a directory only this user can enter (0700), so no
 * other local user can reach the unauthenticated engine (a loopback TCP port is open to every local user).
 * Under the data directory when the path fits in `sun_path`; otherwise, and when in memory, in a fresh private
 * directory under the OS temporary directory.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The driver recognises a socket host by this suffix. */
const SOCKET_FILE = 'mongod.sock';
/** sun_path is 108 bytes on Linux and 104 on macOS/BSD, including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = process.platform === 'linux' ? 107 : 103;

export interface SocketLocation {
  /** Absolute path of the socket file. */
  path: string;
  /** Removes the socket file, and the directory when it was made for this engine only. */
  remove(): void;
}

export const unixSocketsSupported = process.platform !== 'win32';

const fits = (p: string) => Buffer.byteLength(p) <= MAX_SOCKET_PATH_BYTES;

/**
 * `<dataDir>/socket/mongod.sock`, the directory created (or tightened to) mode 0700. A stale socket file left by a
 * killed process is removed: the caller holds the data directory's lock, so no live engine is using it.
 * Undefined when the path is too long for a socket address.
 */
export function dataDirSocket(dataDir: string): SocketLocation | undefined {
  const dir = path.join(path.resolve(dataDir), 'socket');
  const file = path.join(dir, SOCKET_FILE);
  if (!fits(file)) return undefined;
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const st = fs.lstatSync(dir);
    if (!st.isDirectory() || (process.getuid && st.uid !== process.getuid())) {
      // eslint-disable-next-line preserve-caught-error -- the fault is the directory found, not the EEXIST caught
      throw new Error(`${dir} exists but is not a directory owned by this user; remove it so the engine can make its socket there`);
    }
  }
  // Whatever the umask made of it.
  fs.chmodSync(dir, 0o700);
  fs.rmSync(file, { force: true });
  return {
    path: file,
    remove() {
      fs.rmSync(file, { force: true });
      try {
        fs.rmdirSync(dir);
      } catch {
        // Not empty (someone put something there): leave it.
      }
    },
  };
}

/** A new directory under the temporary directory (mkdtemp makes it 0700), undefined when even that is too long. */
export function tempSocket(): SocketLocation | undefined {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhirstone-mongo-'));
  const file = path.join(dir, SOCKET_FILE);
  const remove = () => fs.rmSync(dir, { recursive: true, force: true });
  if (fits(file)) return { path: file, remove };
  remove();
  return undefined;
}
