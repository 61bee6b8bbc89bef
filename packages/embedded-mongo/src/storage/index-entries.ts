/**
 * How an index entry is laid out in the store's `entries` database. The key is the index's number (4 bytes), the
 * encoded key (key-encoding.ts: one byte per code unit, prefix-free), the document's encoded `_id` and the encoded
 * key's length (2 bytes), so the store's byte order is the index order (the key first: a prefix-free code decides
 * before the `_id` is reached), and entries of one key lie together in `_id` order.
 *
 * lmdb keys hold at most 1978 bytes. An entry that would be longer keeps the first SEEK_BYTES bytes of the encoded
 * key, then 16 bytes of a hash of the whole entry, and 0xffff as length; its value holds the whole encoded key and
 * `_id`. Such entries sort among themselves by hash where their first SEEK_BYTES bytes are equal (the one place where
 * the store's order and the index order differ: a scan sorts each such run back, secondary-index.ts), and scans seek
 * with bounds cut to SEEK_BYTES and compare the whole keys themselves.
 */
import { createHash } from 'node:crypto';

export const SEEK_BYTES = 1900;
const LONG = 0xffff;
const MAX_KEY = 1978;
export const EMPTY = Buffer.alloc(0);

export interface Entry {
  key: Buffer;
  value: Buffer;
}

export function entryOf(prefix: Buffer, key: string, id: string): Entry {
  const size = prefix.length + key.length + id.length + 2;
  if (size <= MAX_KEY && key.length < LONG) {
    const out = Buffer.allocUnsafe(size);
    prefix.copy(out, 0);
    out.write(key, prefix.length, 'latin1');
    out.write(id, prefix.length + key.length, 'latin1');
    out.writeUInt16BE(key.length, size - 2);
    return { key: out, value: EMPTY };
  }
  const whole = Buffer.allocUnsafe(4 + key.length + id.length);
  whole.writeUInt32BE(key.length, 0);
  whole.write(key, 4, 'latin1');
  whole.write(id, 4 + key.length, 'latin1');
  const hash = createHash('sha256').update(whole).digest().subarray(0, 16);
  const out = Buffer.concat([prefix, Buffer.from(key.slice(0, SEEK_BYTES), 'latin1'), hash, Buffer.from([0xff, 0xff])]);
  return { key: out, value: whole };
}

/** The encoded key and `_id` of a stored entry; `long` when it was cut (see above). */
export function readEntry(prefixLength: number, key: Buffer, value: Buffer): { key: string; id: string; long: boolean } {
  const n = key.readUInt16BE(key.length - 2);
  if (n !== LONG) {
    return { key: key.toString('latin1', prefixLength, prefixLength + n), id: key.toString('latin1', prefixLength + n, key.length - 2), long: false };
  }
  const k = value.readUInt32BE(0);
  return { key: value.toString('latin1', 4, 4 + k), id: value.toString('latin1', 4 + k), long: true };
}

/** Where a forward scan from `lo` starts: at or before every entry whose key is `lo` or above. */
export function seekFrom(prefix: Buffer, lo: string): Buffer {
  return Buffer.concat([prefix, Buffer.from(lo.slice(0, SEEK_BYTES), 'latin1')]);
}

/** Where a backward scan from `hi` starts: at or after every entry whose key is `hi` or below. */
export function seekBackFrom(prefix: Buffer, hi: string): Buffer {
  return Buffer.concat([prefix, Buffer.from(hi.slice(0, SEEK_BYTES), 'latin1'), Buffer.from([0xff, 0xff, 0xff])]);
}
