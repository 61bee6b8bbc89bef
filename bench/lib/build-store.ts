import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BuiltStore } from './store-builder';

/**
 * Runs store-builder.ts in its own process, so the memory of the documents it wrote is returned to the system
 * before a server loads them, and writes its summary (sample ids) as built.json beside the data folder.
 */
export function buildStoreInChild(dataDir: string, count: number, maxOldSpaceMb: number): Promise<BuiltStore> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${maxOldSpaceMb}`, path.join(__dirname, 'store-builder.js'), dataDir, String(count)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`store builder exited with ${code}: ${err}`));
      const built = JSON.parse(out) as BuiltStore;
      writeFileSync(path.join(path.dirname(dataDir), 'built.json'), JSON.stringify(built));
      resolve(built);
    });
  });
}
