/**
 * Framing shared by journal and snapshot files: each record is [u32 length][u32 CRC-32 of payload][BSON payload].
 * Reading stops at the first incomplete or corrupt record, and reports where the valid prefix ends so that a torn
 * tail left by a crash can be truncated.
 */
import fs from 'node:fs';
import { crc32 } from 'node:zlib';
import { BSON } from 'bson';
import type { JournalRecord } from '../engine/engine';

const HEADER = 8;
/** Same options as the wire: keep regexes (with all flags) as BSON regexes. */
const DESERIALIZE = { bsonRegExp: true } as const;

export function frame(record: JournalRecord): Buffer {
  const payload = BSON.serialize(record);
  const out = Buffer.allocUnsafe(HEADER + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(crc32(payload), 4);
  out.set(payload, HEADER);
  return out;
}

export interface ReadResult {
  /** Bytes of complete, valid records. */
  validLength: number;
  /** Bytes after them (a torn or corrupt tail). */
  garbage: number;
}

/** Streams the valid records of a file to `apply`, in order. */
export function readRecords(file: string, apply: (r: JournalRecord) => void): ReadResult {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const chunk = 8 * 1024 * 1024;
    let buf = Buffer.alloc(0);
    let fileOffset = 0;
    let consumed = 0;
    for (;;) {
      if (buf.length < HEADER || buf.length < HEADER + buf.readUInt32LE(0)) {
        if (fileOffset >= size) break;
        const want = buf.length >= HEADER ? Math.max(chunk, HEADER + buf.readUInt32LE(0) - buf.length) : chunk;
        const next = Buffer.allocUnsafe(Math.min(want, size - fileOffset));
        const n = fs.readSync(fd, next, 0, next.length, fileOffset);
        fileOffset += n;
        buf = buf.length === 0 ? next.subarray(0, n) : Buffer.concat([buf, next.subarray(0, n)]);
        continue;
      }
      const len = buf.readUInt32LE(0);
      const payload = buf.subarray(HEADER, HEADER + len);
      if (len < 5 || crc32(payload) !== buf.readUInt32LE(4)) break;
      apply(BSON.deserialize(payload, DESERIALIZE) as JournalRecord);
      consumed += HEADER + len;
      buf = buf.subarray(HEADER + len);
    }
    return { validLength: consumed, garbage: size - consumed };
  } finally {
    fs.closeSync(fd);
  }
}
