import fs from 'node:fs';
import path from 'node:path';
import { open } from 'lmdb';
import { acquireLock } from './lock-file';
import { STORE_DIR, STORE_FILE } from './store';

/**
 * Backups of a data directory's store from another process. lmdb is built for several processes on one
 * environment: a reader in this process sees one committed snapshot while the engine goes on writing, so the copy
 * (lmdb's own, compacted) is consistent as of the moment it began, without stopping the engine.
 */
export async function backupStore(dataDir: string, target: string): Promise<void> {
  const source = path.join(dataDir, STORE_DIR);
  if (!fs.existsSync(path.join(source, STORE_FILE))) throw new Error(`${dataDir} holds no store (${STORE_DIR}/${STORE_FILE})`);
  const into = path.join(target, STORE_DIR);
  if (fs.existsSync(path.join(into, STORE_FILE))) throw new Error(`${target} already holds a store: choose an empty folder`);
  fs.mkdirSync(into, { recursive: true, mode: 0o700 });
  fs.chmodSync(target, 0o700);
  const env = open({ path: source, readOnly: true, maxDbs: 8 });
  try {
    await env.backup(into, true);
  } finally {
    await env.close();
  }
  fs.chmodSync(path.join(into, STORE_FILE), 0o600);
}

/**
 * Puts the store of a backup (`backupStore`'s target) in place as `dataDir`'s store. The engine must be stopped:
 * the data directory's lock is taken for the time of the copy (a running engine holds it, and this refuses). A store
 * already there is kept beside it, renamed `store.replaced-<time>`, unless there is none.
 */
export function restoreStore(backup: string, dataDir: string, now = new Date()): { replaced?: string } {
  const file = path.join(backup, STORE_DIR, STORE_FILE);
  if (!fs.existsSync(file)) throw new Error(`${backup} holds no backup (${STORE_DIR}/${STORE_FILE})`);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const release = acquireLock(dataDir);
  try {
    const current = path.join(dataDir, STORE_DIR);
    let replaced: string | undefined;
    if (fs.existsSync(current)) {
      replaced = path.join(dataDir, `${STORE_DIR}.replaced-${now.toISOString().replace(/[:.]/g, '-')}`);
      fs.renameSync(current, replaced);
    }
    fs.mkdirSync(current, { mode: 0o700 });
    fs.copyFileSync(file, path.join(current, STORE_FILE));
    fs.chmodSync(path.join(current, STORE_FILE), 0o600);
    return { replaced };
  } finally {
    release();
  }
}
