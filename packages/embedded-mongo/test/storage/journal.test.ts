import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Journal } from '../../src/storage/journal';
import { readRecords } from '../../src/storage/record-file';

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 5));
}

describe('journal', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emb-journal-'))));
  afterEach(() => {
    jest.restoreAllMocks();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("closes when asked while the batch policy's background sync is still running", async () => {
    // The background fdatasync is held until close() has started waiting, the window a shutdown can hit.
    const held: Array<() => void> = [];
    const realSync = fs.fdatasync;
    jest.spyOn(fs, 'fdatasync').mockImplementation(((fd: number, done: fs.NoParamCallback) => {
      held.push(() => realSync(fd, done));
    }) as typeof fs.fdatasync);
    const file = path.join(dir, 'journal-0.log');
    const journal = new Journal(file, 'batch');
    await journal.append({ ts: 1, cat: 'create', ns: 'd.c' });
    await until(() => held.length > 0);

    const closed = journal.close();
    held.shift()!();
    await closed;

    expect(readRecords(file, () => undefined)).toEqual({ validLength: fs.statSync(file).size, garbage: 0 });
  }, 10_000);
});
