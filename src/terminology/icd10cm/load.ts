import fs from 'node:fs';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Icd10CmCodeSystem } from './code-system';
import { OrderFileError, orderFileCursor, orderFilesIn, parseOrderLines, readOrderFile } from './order-file';

/** The order files shipped with the server: `terminology/icd10cm/` beside `package.json`. */
export function bundledIcd10CmDir(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'terminology', 'icd10cm'))) {
      return path.join(dir, 'terminology', 'icd10cm');
    }
    if (path.dirname(dir) === dir) throw new OrderFileError('Cannot find the bundled terminology/icd10cm/ folder');
  }
}

/** What a load took, for the start-up log and the bench. */
export interface Icd10CmLoadStats {
  ms: number;
  years: number[];
  codes: number;
}

/** Lines parsed per turn of the event loop (about 10 ms): requests keep being answered while the code sets load. */
const LINES_PER_TURN = 8192;

/**
 * Builds the code system from every order file in `dir`, oldest year first. Each file is read and decompressed on
 * libuv's pool while the one before is parsed (two files' text in memory at most); parsing lets the event loop go
 * every `LINES_PER_TURN` lines.
 */
export async function buildIcd10Cm(dir: string): Promise<{ codeSystem: Icd10CmCodeSystem; stats: Icd10CmLoadStats }> {
  const start = performance.now();
  const files = orderFilesIn(dir);
  if (files.length === 0) throw new OrderFileError(`${dir} holds no ICD-10-CM order file (icd10cm-order-YYYY.txt[.gz])`);
  const cs = new Icd10CmCodeSystem();
  let next = readOrderFile(files[0].file);
  for (const [i, f] of files.entries()) {
    const buf = await next;
    if (i + 1 < files.length) {
      next = readOrderFile(files[i + 1].file);
      // Awaited in the next round; marked handled now so that a failure while this file parses is not "unhandled".
      next.catch(() => undefined);
    }
    const y = cs.beginYear(f.fiscalYear);
    const cursor = orderFileCursor(buf, path.basename(f.file));
    while (parseOrderLines(cursor, (r) => cs.add(y, r), LINES_PER_TURN)) await nextTurn();
  }
  return { codeSystem: cs, stats: { ms: performance.now() - start, years: cs.years, codes: cs.size } };
}

const loads = new Map<string, Promise<{ codeSystem: Icd10CmCodeSystem; stats: Icd10CmLoadStats }>>();

/** The load of `dir`, started on first call and shared after (the files do not change while the server runs). */
export function icd10cmLoad(dir: string = bundledIcd10CmDir()) {
  let load = loads.get(dir);
  if (!load) {
    load = buildIcd10Cm(dir);
    loads.set(dir, load);
    // A failed load is not kept: the next call tries again (and reports the error again).
    load.catch(() => loads.delete(dir));
  }
  return load;
}

/**
 * ICD-10-CM as the order files in `dir` (default: the bundled ones) give it. The first call starts the load
 * (under a second, in slices that leave the event loop free); every later call shares it.
 */
export async function loadIcd10Cm(dir?: string): Promise<Icd10CmCodeSystem> {
  return (await icd10cmLoad(dir)).codeSystem;
}
