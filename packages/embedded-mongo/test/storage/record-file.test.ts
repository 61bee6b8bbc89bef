import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ObjectId } from 'bson';
import type { JournalRecord } from '../../src/engine/engine';
import { frame, readRecords } from '../../src/storage/record-file';

describe('journal record framing', () => {
  it('round-trips records larger than the 16 MB BSON limit (a big insertMany or transaction)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emb-rec-'));
    try {
      const file = path.join(dir, 'journal-0.log');
      const big: JournalRecord = { ts: 7, ops: Array.from({ length: 12_000 }, (_, i) => ({ ns: 'db.c', d: { _id: i, pad: 'x'.repeat(2500) } })) };
      const small: JournalRecord = {
        ts: 8,
        ops: [
          { ns: 'db.c', k: 'key' },
          { ns: 'db.c', d: { _id: new ObjectId('000000000000000000000001'), when: new Date(0) } },
        ],
      };
      fs.writeFileSync(file, Buffer.concat([frame(big), frame(small), frame({ ts: 9, cat: 'drop', ns: 'db.c' })]));
      const read: JournalRecord[] = [];
      const res = readRecords(file, (r) => read.push(r));
      expect(res.garbage).toBe(0);
      expect(read.map((r) => r.ts)).toEqual([7, 8, 9]);
      expect(read[0].ops).toHaveLength(12_000);
      expect(read[0].ops![11_999]).toEqual({ ns: 'db.c', d: { _id: 11_999, pad: 'x'.repeat(2500) } });
      expect(read[1].ops).toEqual(small.ops);
      expect(read[2]).toEqual({ ts: 9, cat: 'drop', ns: 'db.c' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads every record whole across read-chunk boundaries, and stops at a torn tail', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emb-rec-'));
    try {
      const file = path.join(dir, 'snapshot-1.bson');
      // About 20 MB of records of varying sizes, so records straddle the 8 MB read chunks at arbitrary offsets.
      const records: JournalRecord[] = Array.from({ length: 4_000 }, (_, i) => ({
        ts: i,
        ops: [{ ns: 'db.c', d: { _id: i, pad: String(i % 10).repeat(1_000 + ((i * 7919) % 9_000)) } }],
      }));
      const framed = records.map(frame);
      const whole = Buffer.concat(framed);
      const torn = frame({ ts: 4_000, cat: 'drop', ns: 'db.c' }).subarray(0, 10);
      fs.writeFileSync(file, Buffer.concat([whole, torn]));
      const read: JournalRecord[] = [];
      const res = readRecords(file, (r) => read.push(r));
      expect(res).toEqual({ validLength: whole.length, garbage: torn.length });
      expect(read).toHaveLength(records.length);
      expect(read).toEqual(records);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
