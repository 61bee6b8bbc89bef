/**
 * Framing shared by journal and snapshot files: each record is [u32 length][u32 CRC-32 of payload][BSON payload].
 * Reading stops at the first incomplete or corrupt record, and reports where the valid prefix ends so that a torn
 * tail left by a crash can be truncated.
 */
import fs from 'node:fs';
import { crc32 } from 'node:zlib';
import { BSON } from 'bson';
import type { JournalRecord } from '../engine/engine';
import { takeReceived } from './received-bytes';

const HEADER = 8;
/**
 * Same options as the wire: keep regexes (with all flags) as BSON regexes. Strings are not re-validated as UTF-8:
 * the engine wrote them from valid strings, and the CRC has already vouched for the bytes.
 */
const DESERIALIZE = { bsonRegExp: true, validation: { utf8: false } } as const;

/**
 * BSON of a record. Document-write records can exceed bson's 17 MB serialisation buffer (a 48 MB insertMany, a
 * large transaction), so their `ops` array is assembled from individually serialised operations.
 */
function serializeRecord(record: JournalRecord): Uint8Array {
  if (!record.ops) return BSON.serialize(record);
  const elements: Buffer[] = [];
  record.ops.forEach((op, i) => {
    elements.push(Buffer.from([0x03]), Buffer.from(`${i}\0`, 'latin1'));
    const received = op.d && op.k === undefined ? takeReceived(op.d) : undefined;
    if (received) elements.push(...insertOp(op.ns, received));
    else elements.push(Buffer.from(BSON.serialize(op)));
  });
  const array = document(elements);
  const ts = Buffer.alloc(8);
  ts.writeDoubleLE(record.ts);
  return document([Buffer.from('\x01ts\0', 'latin1'), ts, Buffer.from('\x04ops\0', 'latin1'), array]);
}

/**
 * The pieces of the BSON of `{ns, d}` with `d` already in BSON: the same bytes BSON.serialize would write for the
 * op, left unjoined so that `d` is copied once, into the record.
 */
function insertOp(ns: string, d: Buffer): Buffer[] {
  const name = Buffer.from(`${ns}\0`, 'utf8');
  const pieces = [Buffer.from('\x02ns\0', 'latin1'), int32(name.length), name, Buffer.from('\x03d\0', 'latin1'), d, Buffer.from([0])];
  return [int32(4 + pieces.reduce((n, b) => n + b.length, 0)), ...pieces];
}

function int32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeInt32LE(n);
  return b;
}

/** int32 total length + elements + terminating 0, as BSON lays out a document. */
function document(elements: Buffer[]): Buffer {
  const size = 4 + elements.reduce((n, b) => n + b.length, 0) + 1;
  return Buffer.concat([int32(size), ...elements, Buffer.from([0])], size);
}

export function frame(record: JournalRecord): Buffer {
  const payload = serializeRecord(record);
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

/** Streams the valid records of a file to `apply`, in order; `onRead` hears of each chunk read (its bytes). */
export function readRecords(file: string, apply: (r: JournalRecord) => void, onRead?: (bytes: number) => void): ReadResult {
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
        // Only the unfinished record at the end of the last read is copied over, not the whole new chunk.
        const next = Buffer.allocUnsafe(buf.length + Math.min(want, size - fileOffset));
        buf.copy(next, 0);
        const n = fs.readSync(fd, next, buf.length, next.length - buf.length, fileOffset);
        fileOffset += n;
        buf = next.subarray(0, buf.length + n);
        onRead?.(n);
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
