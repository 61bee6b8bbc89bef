import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Binary } from 'fhir/r4';
import type { ClientSession } from 'mongodb';
import type { BinaryBytes, StoredBytes } from './byte-store';

/** Bytes held in memory (a small Binary's inline `data`), offered as StoredBytes are. */
export function bytesOf(data: Buffer): StoredBytes {
  return {
    size: data.length,
    sha1: sha1Base64(data),
    read: (range) => Readable.from([range ? data.subarray(range.start, range.end + 1) : data]),
  };
}

/** SHA-1 of `data`, base64: R4 Attachment.hash. */
export function sha1Base64(data: Buffer): string {
  return createHash('sha1').update(data).digest('base64');
}

/**
 * The content of one stored Binary version: its inline `data` (a Binary at or under the inline limit keeps it in
 * its text), else its bytes in GridFS, else none (a Binary written without data).
 */
export async function contentOf(
  store: BinaryBytes,
  binary: Binary,
  id: string,
  vid: number,
  session: { session?: ClientSession } = {},
): Promise<StoredBytes | undefined> {
  if (binary.data !== undefined) return bytesOf(Buffer.from(binary.data, 'base64'));
  return store.open(id, vid, session);
}
