import fs from 'node:fs';
import path from 'node:path';
import { backupStore, restoreStore } from '@fhirstone/embedded-mongo';
import { GENERATED_KEY_FILE } from '../auth/signing-key';
import { loadConfig } from '../config';

export const BACKUP_USAGE = `fhirstone backup <dir>
  A consistent copy of the embedded store on DATA_DIR, taken while the server runs (lmdb's own compacted copy of
  one snapshot), into <dir> (created owner-only; it must not hold a backup already), with the server's generated
  SMART signing key. On MongoDB, use MongoDB's own backups instead (README).
fhirstone restore <dir>
  Puts a backup in place as DATA_DIR's store, with the server and its engine stopped (the data directory's lock is
  taken; a running engine refuses it). A store already there is kept beside it as store.replaced-<time>.`;

/** The data directory's files a backup carries besides the store: what the server cannot make again alike. */
const CARRIED = [GENERATED_KEY_FILE];

function copyCarried(from: string, to: string): void {
  for (const name of CARRIED) {
    const file = path.join(from, name);
    if (fs.existsSync(file)) {
      fs.copyFileSync(file, path.join(to, name));
      fs.chmodSync(path.join(to, name), 0o600);
    }
  }
}

function target(args: string[], command: string): string {
  if (args.length !== 1 || args[0].startsWith('-')) throw new Error(`fhirstone ${command} needs one folder\n${BACKUP_USAGE}`);
  return path.resolve(args[0]);
}

function embeddedDataDir(command: string): string {
  const config = loadConfig();
  if (config.mongoUri) throw new Error(`fhirstone ${command} copies the embedded engine's store; with MONGODB_URI, use MongoDB's backups`);
  return config.dataDir;
}

/** `fhirstone backup <dir>` */
export async function runBackup(args: string[]): Promise<number> {
  const dir = target(args, 'backup');
  const dataDir = embeddedDataDir('backup');
  const started = Date.now();
  await backupStore(dataDir, dir);
  copyCarried(dataDir, dir);
  process.stdout.write(`backup of ${dataDir} written to ${dir} in ${Date.now() - started} ms\n`);
  return 0;
}

/** `fhirstone restore <dir>` */
export async function runRestore(args: string[]): Promise<number> {
  const dir = target(args, 'restore');
  const dataDir = embeddedDataDir('restore');
  const { replaced } = restoreStore(dir, dataDir);
  copyCarried(dir, dataDir);
  process.stdout.write(`${dataDir} restored from ${dir}${replaced ? `; the store it held is kept as ${replaced}` : ''}\n`);
  return 0;
}
