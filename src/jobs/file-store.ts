import { createReadStream, createWriteStream } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { GridFSBucket, type Collection, type Db, type GridFSChunk, type GridFSFile, type ObjectId } from 'mongodb';
import type { ByteRange } from '../http/byte-range';
import { makePrivateSubdir, openPrivate, securePrivateDir } from '@fhirstone/embedded-mongo';

/** A stored file: its size, known before any byte is read (for a Range answer), and its bytes as a stream. */
export interface StoredFile {
  size: number;
  /** The whole file, or only `range` of it. */
  read(range?: ByteRange): Readable;
}

/**
 * Where the files of asynchronous jobs (export and the others) live. Names are job-relative (`Patient-1.ndjson`); the job id namespaces them. Writers are
 * ordinary Writables, so the worker streams into either store with the same backpressure.
 */
export interface JobFileStore {
  init(): Promise<void>;
  /** A writable for a new file; `abort` discards what was written. */
  create(jobId: string, name: string): Writable & { abort(): Promise<void> };
  /** The file, or undefined when it does not exist. */
  open(jobId: string, name: string): Promise<StoredFile | undefined>;
  list(jobId: string): Promise<string[]>;
  /** Removes the named files of a job, or all of them. */
  remove(jobId: string, names?: readonly string[]): Promise<void>;
}

export const GRIDFS_BUCKET = 'bulk_export';

/** GridFS chunks fetched per round trip while a file is downloaded: about 1 MB. */
const READ_BATCH = 4;

/**
 * A file's GridFS id: its job and name, where the driver would draw a new ObjectId. A file's chunks are written
 * before its files document, so the chunks of a file never completed (the process killed mid-write) would
 * otherwise belong to no job and stay for good; with the name as id, the job's id range finds them. GridFS allows
 * an id of any type; the driver's declarations say ObjectId only.
 */
const fileId = (jobId: string, name: string) => `${jobId}/${name}` as unknown as ObjectId;

/** Ids from `${jobId}/` up to, not including, `${jobId}0` ('0' follows '/'): every file id of the job. */
const jobRange = (jobId: string) => ({ $gte: `${jobId}/`, $lt: `${jobId}0` }) as unknown as { $gte: ObjectId; $lt: ObjectId };

/**
 * The bytes of `range` of a GridFS file, READ_BATCH chunks per round trip. Not the driver's download stream: it asks
 * for chunks with the server's default batch (101 chunks, up to 16 MB, the whole of most export files), held by
 * the engine and the driver at once for every download in progress, and it takes no batch size.
 */
export async function* gridFsBytes(chunks: Collection<GridFSChunk>, file: Pick<GridFSFile, '_id' | 'chunkSize'>, range: ByteRange): AsyncGenerator<Buffer> {
  const first = Math.floor(range.start / file.chunkSize);
  const last = Math.floor(range.end / file.chunkSize);
  const cursor = chunks.find(
    { files_id: file._id, n: { $gte: first, $lte: last } },
    { sort: { n: 1 }, batchSize: READ_BATCH, projection: { n: 1, data: 1 }, promoteBuffers: true },
  );
  try {
    let n = first;
    for await (const chunk of cursor) {
      if (chunk.n !== n) break;
      const at = n * file.chunkSize;
      const data = Buffer.from(chunk.data.buffer, chunk.data.byteOffset, chunk.data.byteLength);
      yield data.subarray(Math.max(range.start - at, 0), Math.min(range.end + 1 - at, data.length));
      n++;
    }
    // A missing chunk (a file removed while it was read) must fail the download, not shorten it unnoticed.
    if (n !== last + 1) throw new Error(`GridFS file ${String(file._id)}: chunk ${n} is missing`);
  } finally {
    await cursor.close();
  }
}

/** GridFS: the files are in MongoDB with the jobs, so every instance behind a load balancer can serve them. */
export class GridFsFileStore implements JobFileStore {
  private readonly bucket: GridFSBucket;
  private readonly chunks: Collection<GridFSChunk>;

  constructor(private readonly db: Db) {
    this.bucket = new GridFSBucket(db, { bucketName: GRIDFS_BUCKET });
    this.chunks = db.collection<GridFSChunk>(`${GRIDFS_BUCKET}.chunks`);
  }

  async init(): Promise<void> {
    await this.db.collection(`${GRIDFS_BUCKET}.files`).createIndex({ 'metadata.job': 1, filename: 1 }, { name: 'job_files' });
  }

  create(jobId: string, name: string) {
    const stream = this.bucket.openUploadStreamWithId(fileId(jobId, name), `${jobId}/${name}`, { metadata: { job: jobId } });
    return Object.assign(stream, {
      abort: async () => {
        if (!stream.destroyed) await stream.abort().catch(() => undefined);
      },
    });
  }

  /** The files documents of a job's complete files (ids of files written before ids were names are ObjectIds). */
  private async complete(jobId: string, names?: readonly string[]) {
    const filter = names ? { 'metadata.job': jobId, filename: { $in: names.map((n) => `${jobId}/${n}`) } } : { 'metadata.job': jobId };
    return this.bucket.find(filter, { projection: { _id: 1, filename: 1, length: 1, chunkSize: 1 } }).toArray();
  }

  async open(jobId: string, name: string): Promise<StoredFile | undefined> {
    const [file] = await this.complete(jobId, [name]);
    if (!file) return undefined;
    // Byte mode: the stream reads one chunk ahead of the response, not 16 (object mode's default).
    const read = (range?: ByteRange) => Readable.from(gridFsBytes(this.chunks, file, range ?? { start: 0, end: file.length - 1 }), { objectMode: false });
    return { size: file.length, read };
  }

  /** Complete files and those with chunks but no files document yet (being written, or left by a crash). */
  async list(jobId: string): Promise<string[]> {
    const partial = (await this.chunks.distinct('files_id', { files_id: jobRange(jobId) })) as unknown as string[];
    const names = [...(await this.complete(jobId)).map((f) => f.filename), ...partial].map((f) => f.slice(jobId.length + 1));
    return [...new Set(names)];
  }

  /** Chunks first: should this stop half-way, the files documents still name what is left to remove. */
  async remove(jobId: string, names?: readonly string[]): Promise<void> {
    if (names && names.length === 0) return;
    const files = (await this.complete(jobId, names)).map((f) => f._id);
    const ids = { $in: [...files, ...(names ?? []).map((n) => fileId(jobId, n))] };
    await this.chunks.deleteMany(names ? { files_id: ids } : { $or: [{ files_id: ids }, { files_id: jobRange(jobId) }] });
    await this.db.collection(`${GRIDFS_BUCKET}.files`).deleteMany({ _id: { $in: files } });
  }
}

/** A directory (BULK_EXPORT_DIR): one sub-directory per job; shared storage makes it multi-instance. */
export class DirectoryFileStore implements JobFileStore {
  constructor(private readonly root: string) {}

  /** The folder and everything in it owner-only (NDJSON of patient data); a folder others may enter is refused. */
  async init(): Promise<void> {
    securePrivateDir(this.root, (entry, mode) => process.emitWarning(`bulk export: ${entry} could be read by other users (mode ${mode}); made owner-only`));
  }

  private file(jobId: string, name: string): string {
    // Names are generated by the worker, never taken from a request unchecked; still, refuse any path escape.
    if (!/^[A-Za-z0-9-]+$/.test(jobId) || !/^[A-Za-z0-9.-]+$/.test(name)) throw new Error(`bad export file name ${jobId}/${name}`);
    return path.join(this.root, jobId, name);
  }

  create(jobId: string, name: string) {
    const file = this.file(jobId, name);
    // Once per file, so synchronous calls cost nothing and let the stream open straight away.
    makePrivateSubdir(path.dirname(file));
    const stream = createWriteStream(file, { fd: openPrivate(file, 'w') });
    return Object.assign(stream, {
      abort: async () => {
        stream.destroy();
        await rm(file, { force: true });
      },
    });
  }

  async open(jobId: string, name: string): Promise<StoredFile | undefined> {
    const file = this.file(jobId, name);
    const s = await stat(file).catch(() => undefined);
    return s?.isFile() ? { size: s.size, read: (range) => createReadStream(file, range ?? {}) } : undefined;
  }

  async list(jobId: string): Promise<string[]> {
    return readdir(path.join(this.root, jobId)).catch(() => []);
  }

  async remove(jobId: string, names?: readonly string[]): Promise<void> {
    if (!names) {
      this.file(jobId, 'x');
      await rm(path.join(this.root, jobId), { recursive: true, force: true });
      return;
    }
    for (const n of names) await rm(this.file(jobId, n), { force: true });
  }
}
