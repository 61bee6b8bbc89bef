/**
 * A process contending for a data directory's lock (run by lock-file.test.ts). On `acquire <dir> <epochMs>` it
 * spins until that moment, so contenders race as closely as the clock allows, takes the lock and prints `won` or
 * `refused`; on `release` it lets go of a lock it won and prints `released`.
 */
import readline from 'node:readline';
import { acquireLock } from '../../src/storage/lock-file';

let release: (() => void) | undefined;
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, dir, at] = line.split(' ');
  if (command === 'acquire') {
    while (Date.now() < Number(at)); // a busy wait: a timer would add milliseconds of jitter
    try {
      release = acquireLock(dir);
      process.stdout.write('won\n');
    } catch (e) {
      process.stdout.write(`refused ${(e as Error).message}\n`);
    }
  } else if (command === 'release') {
    release?.();
    release = undefined;
    process.stdout.write('released\n');
  }
});
