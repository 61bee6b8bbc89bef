import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BuiltStore } from './store-builder';

/**
 * Runs a store builder script of bench/lib in its own process (its `require.main` entry: data folder, then `args`),
 * so the memory of the documents it wrote is returned to the system before a server loads them; resolves with the
 * JSON line it prints.
 */
export function buildInChild<T>(script: string, dataDir: string, args: string[], maxOldSpaceMb: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${maxOldSpaceMb}`, path.join(__dirname, script), dataDir, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`store builder exited with ${code}: ${err}`));
      resolve(JSON.parse(out) as T);
    });
  });
}

/** store-builder.ts in its own process; its summary (sample ids) is written as built.json beside the data folder. */
export async function buildStoreInChild(dataDir: string, count: number, maxOldSpaceMb: number): Promise<BuiltStore> {
  const built = await buildInChild<BuiltStore>('store-builder.js', dataDir, [String(count)], maxOldSpaceMb);
  writeFileSync(path.join(path.dirname(dataDir), 'built.json'), JSON.stringify(built));
  return built;
}
