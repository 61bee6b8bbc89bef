import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GridFSBucket, type ClientSession, type Collection, type Db, type Filter, type GridFSChunk, type GridFSFile, type ObjectId } from 'mongodb';
import { tooLarge } from '../errors/operation-outcome-error';
import type { ByteRange } from '../http/byte-range';
import { gridFsBytes } from '../jobs/file-store';

/**
 * The GridFS bucket of Binary bytes: `binary.files` and `binary.chunks` (255 KB each), one file per Binary version
 * whose bytes are out of line; and `binary_versions`, which says which file is the bytes of which version
 * (`_id` `<id>/<vid>`, with the file's id, size and SHA-1).
 */
export const BINARY_BUCKET = 'binary';
export const BINARY_VERSIONS = 'binary_versions';

/** Bytes streamed into GridFS, not yet the bytes of any Binary version. */
export interface Upload {
  fileId: ObjectId;
  size: number;
  /** SHA-1 of the bytes, base64 (as R4's Attachment.hash). */
  sha1: string;
}

/** The bytes of one Binary version: size and hash known before any byte is read. */
export interface StoredBytes {
  size: number;
  sha1: string;
  /** The whole content, or `range` of it, streamed a few chunks at a time. */
  read(range?: ByteRange): Readable;
}

/** Which GridFS file holds the bytes of one Binary version. */
export interface VersionBytes {
  _id: string;
  binary: string;
  vid: number;
  file: ObjectId;
  size: number;
  sha1: string;
}

/**
 * Binary bytes in GridFS (the driver's GridFSBucket, on a real MongoDB and the embedded engine alike). An upload is
 * streamed in outside any transaction (GridFS writes take no session); the transaction that stores the version
 * inserts its `binary_versions` document (`link`), so a write that fails or rolls back leaves only a file no
 * version names, never a version without its bytes, and the sweep (src/binary/sweep.ts) removes such files. The link is an insert, not an
 * update of the file: a transaction's snapshot may predate the upload, when the write read something first.
 */
export class BinaryBytes {
  private store?: { bucket: GridFSBucket; files: Collection<GridFSFile>; chunks: Collection<GridFSChunk>; versions: Collection<VersionBytes> };

  private get attached() {
    if (!this.store) throw new Error('internal: Binary bytes used before the store was connected');
    return this.store;
  }

  /**
   * Binds to the store's database once it is connected (routes and the write hook are made before), and makes the
   * collections and indexes up front: a transaction (linking, destruction) cannot create them.
   */
  async init(db: Db): Promise<void> {
    const store = {
      bucket: new GridFSBucket(db, { bucketName: BINARY_BUCKET }),
      files: db.collection<GridFSFile>(`${BINARY_BUCKET}.files`),
      chunks: db.collection<GridFSChunk>(`${BINARY_BUCKET}.chunks`),
      versions: db.collection<VersionBytes>(BINARY_VERSIONS),
    };
    // For the sweep of uploads no version names (src/binary/sweep.ts).
    await store.files.createIndex({ 'metadata.checked': 1, uploadDate: 1 }, { name: 'unchecked_uploads' });
    // The index GridFS itself makes on a first upload, made here so it exists before any transaction reads chunks.
    await store.chunks.createIndex({ files_id: 1, n: 1 }, { unique: true });
    await store.versions.createIndex({ binary: 1, vid: 1 }, { name: 'binary_version' });
    await store.versions.createIndex({ file: 1 }, { name: 'file' });
    this.store = store;
  }

  /**
   * Streams `source` into a new file, counting (413 past `limit`) and hashing on the way: never held whole. A failed
   * or refused upload leaves nothing (its chunks are removed).
   */
  async upload(source: Readable, limit: number): Promise<Upload> {
    const hash = createHash('sha1');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > limit) return done(tooLarge(`The body exceeds the limit of ${limit} bytes`));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    const sink = this.attached.bucket.openUploadStream('Binary');
    // The source is piped, not part of the pipeline: refusing the bytes must not destroy the request, whose socket
    // still carries the 413. What the client sends after that is read and dropped.
    source.on('error', (err) => meter.destroy(err));
    source.pipe(meter);
    try {
      await pipeline(meter, sink);
    } catch (err) {
      source.unpipe(meter);
      source.resume();
      await sink.abort().catch(() => undefined);
      throw err;
    }
    return { fileId: sink.id, size, sha1: hash.digest('base64') };
  }

  /** Makes an upload the bytes of version `vid` of Binary `id`, inside the transaction writing that version. */
  async link(upload: Upload, id: string, vid: number, session: { session?: ClientSession }): Promise<void> {
    await this.attached.versions.insertOne({ _id: `${id}/${vid}`, binary: id, vid, file: upload.fileId, size: upload.size, sha1: upload.sha1 }, session);
  }

  /** Removes an upload whose version was not stored (refused, failed). */
  async discard(upload: Upload): Promise<void> {
    await this.attached.bucket.delete(upload.fileId).catch(() => undefined);
  }

  /**
   * The out-of-line bytes of version `vid` of Binary `id`, or undefined when that version has none. The version's
   * link is read in the caller's transaction; the file itself, written before any transaction, without it.
   */
  async open(id: string, vid: number, session: { session?: ClientSession } = {}): Promise<StoredBytes | undefined> {
    const { versions, files, chunks } = this.attached;
    const link = await versions.findOne({ _id: `${id}/${vid}` }, session);
    const file = link && (await files.findOne({ _id: link.file }, { projection: { _id: 1, length: 1, chunkSize: 1 } }));
    if (!link || !file) return undefined;
    const read = (range?: ByteRange) => Readable.from(gridFsBytes(chunks, file, range ?? { start: 0, end: file.length - 1 }), { objectMode: false });
    return { size: file.length, sha1: link.sha1, read };
  }

  /**
   * The size of the out-of-line bytes of each version `keys` names (`<id>/<vid>`), read in the caller's transaction;
   * versions whose bytes are in their text (or that have none) are absent. One query for a page of them.
   */
  async sizes(keys: readonly string[], session: { session?: ClientSession } = {}): Promise<Map<string, number>> {
    if (keys.length === 0) return new Map();
    const links = await this.attached.versions.find({ _id: { $in: [...keys] } }, { ...session, projection: { size: 1 } }).toArray();
    return new Map(links.map((l) => [l._id, l.size]));
  }
}

/**
 * Removes, inside a destruction's transaction, the bytes of every version of the Binaries `ids` or of the single
 * versions `versions` (`id/vid` keys): links, chunks and files documents, as GridFS's own delete does, but in the
 * session, which the driver's `GridFSBucket.delete` does not take.
 */
export async function removeBinaryBytes(db: Db, session: ClientSession, which: { ids?: readonly string[]; versions?: readonly string[] }): Promise<number> {
  const filter: Filter<VersionBytes> = which.ids ? { binary: { $in: [...which.ids] } } : { _id: { $in: [...(which.versions ?? [])] } };
  if ((which.ids ?? which.versions ?? []).length === 0) return 0;
  const versions = db.collection<VersionBytes>(BINARY_VERSIONS);
  const links = await versions.find(filter, { session, projection: { file: 1 } }).toArray();
  if (links.length === 0) return 0;
  const files = links.map((l) => l.file);
  await db.collection<GridFSChunk>(`${BINARY_BUCKET}.chunks`).deleteMany({ files_id: { $in: files } }, { session });
  await db.collection<GridFSFile>(`${BINARY_BUCKET}.files`).deleteMany({ _id: { $in: files } }, { session });
  await versions.deleteMany({ _id: { $in: links.map((l) => l._id) } }, { session });
  return links.length;
}
