import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DirectoryFileStore } from '../../src/jobs/file-store';
import { JobAborted, type JobContext } from '../../src/jobs/kind';
import { simpleKind, type SimpleJob, type StateCheckpoint } from '../../src/jobs/simple-kind';
import type { Repository } from '../../src/store/repository';

/** A kind that writes the numbers from its state up to 6, checkpointing after each even one, failing once at 5. */
let failAt: number | undefined;
const counting = simpleKind<Record<string, never>, { next: number }>({
  kind: 'count',
  async run(_job, ctx) {
    for (let n = ctx.state?.next ?? 1; n <= 6; n++) {
      if (n === failAt) throw new JobAborted('lease');
      await ctx.write('Basic', { n });
      if (n % 2 === 0) await ctx.checkpoint({ next: n + 1 }, n);
    }
  },
});

function job(checkpoint: StateCheckpoint<{ next: number }>, processed = 0): SimpleJob<Record<string, never>, { next: number }> {
  const now = new Date();
  return {
    _id: 'c0ffee00-0000-4000-8000-000000000001',
    kind: 'count',
    status: 'running',
    request: 'x',
    transactionTime: now,
    createdAt: now,
    expiresAt: now,
    owner: { open: true },
    plan: { grant: { unrestricted: true }, params: {} },
    checkpoint,
    processed,
    leaseUntil: now,
  };
}

describe('a simple job kind', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simple-kind-'));
  const files = new DirectoryFileStore(dir);
  const checkpoints: Array<StateCheckpoint<{ next: number }>> = [];
  const ctx: JobContext<StateCheckpoint<{ next: number }>> = {
    systemRepo: { as: () => ({}) as Repository } as unknown as Repository,
    files,
    maxLines: 100,
    signal: new AbortController().signal,
    checkpoint: async (cp) => void checkpoints.push(structuredClone(cp)),
  };
  beforeAll(() => files.init());

  it('resumes from its last checkpoint, dropping what was written after it', async () => {
    failAt = 5;
    await expect(counting.run(job({ files: [] }), ctx)).rejects.toBeInstanceOf(JobAborted);
    const last = checkpoints[checkpoints.length - 1];
    expect(last.state).toEqual({ next: 5 });
    expect(last.files.map((f) => f.count)).toEqual([2, 2]);

    failAt = undefined;
    const done = await counting.run(job(last, 4), ctx);
    expect(done.checkpoint.files.map((f) => f.name)).toEqual(['Basic-1.ndjson', 'Basic-2.ndjson', 'Basic-3.ndjson']);
    const names = await files.list(job(last)._id);
    expect(names.sort()).toEqual(['Basic-1.ndjson', 'Basic-2.ndjson', 'Basic-3.ndjson']);
    const third = await files.open(job(last)._id, 'Basic-3.ndjson');
    const text = await new Response(third!.read() as unknown as ReadableStream).text();
    expect(text).toBe('{"n":5}\n{"n":6}\n');
    expect(done.processed).toBe(6);
  });
});
