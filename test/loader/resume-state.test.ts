import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { InputFile } from '../../src/loader/inputs';
import { addLines, inRanges, ResumeState } from '../../src/loader/resume-state';
import { tempDir } from './fixtures';

const input = (p: string, size = 10, mtimeMs = 1): InputFile => ({ path: p, kind: 'ndjson', size, mtimeMs });

describe('resume state', () => {
  it('merges completed lines into ranges, including batches that complete out of order', () => {
    let r = addLines([], [5, 6]);
    r = addLines(r, [1, 2]);
    r = addLines(r, [3, 4]);
    r = addLines(r, [9]);
    expect(r).toEqual([
      [1, 6],
      [9, 9],
    ]);
    expect([0, 1, 6, 7, 9, 10].map((l) => inRanges(r, l))).toEqual([false, true, true, false, true, false]);
  });

  it('remembers completed files and line ranges across runs, per target', async () => {
    const file = path.join(await tempDir(), 'state', 'load-state.json');
    const first = await ResumeState.open(file, 'http://a/fhir');
    await first.markDone(input('/x/bundle.json'));
    await first.markLines(input('/x/Patient.ndjson'), [1, 2, 3]);
    const again = await ResumeState.open(file, 'http://a/fhir');
    expect(again.isDone(input('/x/bundle.json'))).toBe(true);
    expect(again.doneLines(input('/x/Patient.ndjson'))).toEqual([[1, 3]]);
    const otherServer = await ResumeState.open(file, 'http://b/fhir');
    expect(otherServer.isDone(input('/x/bundle.json'))).toBe(false);
  });

  it('forgets a file whose size or modification time changed: an edited file loads again in full', async () => {
    const file = path.join(await tempDir(), 'load-state.json');
    const s = await ResumeState.open(file, 'local');
    await s.markDone(input('/x/bundle.json', 10, 1));
    expect(s.isDone(input('/x/bundle.json', 11, 1))).toBe(false);
    expect(s.isDone(input('/x/bundle.json', 10, 2))).toBe(false);
  });

  it('starts empty when the state file is damaged', async () => {
    const file = path.join(await tempDir(), 'load-state.json');
    await fs.writeFile(file, '{"version":1,"files":');
    const s = await ResumeState.open(file, 'local');
    expect(s.isDone(input('/x/bundle.json'))).toBe(false);
  });
});
