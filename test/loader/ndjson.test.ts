import { readNdjsonBatches, type NdjsonBatch } from '../../src/loader/ndjson';
import { patient, tempDir, writeLines } from './fixtures';

async function collect(file: string, size: number, skip?: (line: number) => boolean): Promise<NdjsonBatch[]> {
  const out: NdjsonBatch[] = [];
  for await (const b of readNdjsonBatches(file, { size, skip })) out.push(b);
  return out;
}

describe('NDJSON reading', () => {
  it("groups resources into batches of the requested size, remembering each one's line", async () => {
    const file = await writeLines(await tempDir(), 'Patient.ndjson', [patient('a'), patient('b'), patient('c'), patient('d'), patient('e')]);
    const batches = await collect(file, 2);
    expect(batches.map((b) => b.lines)).toEqual([[1, 2], [3, 4], [5]]);
    expect(batches[2].resources).toEqual([patient('e')]);
  });

  it('skips blank lines but keeps counting them, and reports unparseable lines by number without sending them', async () => {
    const file = await writeLines(await tempDir(), 'Patient.ndjson', [patient('a'), '', '{not json', '[1,2]', '{"id":"x"}', patient('b')]);
    const [batch] = await collect(file, 10);
    expect(batch.lines).toEqual([1, 6]);
    expect(batch.errors.map((e) => e.line)).toEqual([3, 4, 5]);
    expect(batch.errors[0].message).toMatch(/not valid JSON/);
    expect(batch.errors[1].message).toBe('not a JSON object');
    expect(batch.errors[2].message).toBe('has no resourceType');
  });

  it('accepts CRLF line endings', async () => {
    const dir = await tempDir();
    const file = await writeLines(dir, 'Patient.ndjson', [`${JSON.stringify(patient('a'))}\r`, `${JSON.stringify(patient('b'))}\r`]);
    const [batch] = await collect(file, 10);
    expect(batch.resources.map((r) => r.id)).toEqual(['a', 'b']);
    expect(batch.errors).toEqual([]);
  });

  it('passes over lines a previous run completed, still counting their bytes toward progress', async () => {
    const file = await writeLines(await tempDir(), 'Patient.ndjson', [patient('a'), patient('b'), patient('c')]);
    const batches = await collect(file, 10, (line) => line <= 2);
    expect(batches.map((b) => b.lines)).toEqual([[3]]);
    expect(batches[0].bytes).toBe(3 * (JSON.stringify(patient('a')).length + 1));
  });
});
