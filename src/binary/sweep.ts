import { GridFSBucket, ObjectId, type Collection, type Db, type GridFSChunk, type GridFSFile } from 'mongodb';
import { leaseFree, leaseTo, RELEASED, type Lease } from '../jobs/lease';
import { BINARY_BUCKET, BINARY_VERSIONS, type VersionBytes } from './byte-store';

/**
 * Bytes no version names may belong to a write still in progress: left alone until this long after the upload
 * finished (a file) or after its latest chunk was written (an upload that never finished).
 */
export const UPLOAD_GRACE_MS = 60 * 60 * 1000;

/**
 * No upload runs longer than this (request timeouts end it well before): chunks of uploads that started this long
 * before a completed sweep began were all looked at by it, and are not looked at again.
 */
const LONGEST_UPLOAD_MS = 24 * 60 * 60 * 1000;

const BATCH = 500;

/**
 * The sweep's lease (a job's: until `leaseUntil` another sweep, of any server process on this database, is not
 * started) and progress: one document, `_id` 'uploads', in `binary_sweep`.
 */
interface SweepState extends Lease {
  _id: string;
  /** When the latest completed sweep started. */
  sweptAt?: Date;
}

export interface SweepResult {
  /** False when another process holds the lease: nothing was looked at. */
  swept: boolean;
  /** Files no version names, removed. */
  files: number;
  /** Uploads that never finished (chunks without their files document), removed. */
  unfinished: number;
}

export interface SweepOptions {
  /** Names this process in the lease. */
  owner: string;
  /** How long a sweep keeps others from sweeping: about the interval between sweeps, so one runs per interval. */
  leaseMs: number;
  graceMs?: number;
}

/**
 * Removes the bytes of writes that did not complete: an upload is streamed into GridFS before the transaction that
 * links it to its version (src/binary/byte-store.ts), and GridFS writes the file's document only after its last
 * chunk. So a write that failed or rolled back leaves a file no version names, and a process killed mid-upload (or
 * an upload whose abort failed) leaves chunks without a file. Both are removed once past the grace period; named
 * files are marked checked, so each is looked at once. Leased: of several server processes on one database, one
 * sweeps per lease period.
 */
export class UploadSweeper {
  private readonly state: Collection<SweepState>;
  private readonly files: Collection<GridFSFile>;
  private readonly chunks: Collection<GridFSChunk>;
  private readonly versions: Collection<VersionBytes>;
  private readonly bucket: GridFSBucket;
  private readonly graceMs: number;

  constructor(
    db: Db,
    private readonly opts: SweepOptions,
  ) {
    this.state = db.collection<SweepState>('binary_sweep');
    this.files = db.collection<GridFSFile>(`${BINARY_BUCKET}.files`);
    this.chunks = db.collection<GridFSChunk>(`${BINARY_BUCKET}.chunks`);
    this.versions = db.collection<VersionBytes>(BINARY_VERSIONS);
    this.bucket = new GridFSBucket(db, { bucketName: BINARY_BUCKET });
    this.graceMs = opts.graceMs ?? UPLOAD_GRACE_MS;
  }

  async sweep(now = Date.now()): Promise<SweepResult> {
    const state = await this.lease(now);
    if (!state) return { swept: false, files: 0, unfinished: 0 };
    const files = await this.unnamedFiles(now);
    const unfinished = await this.unfinishedUploads(now, state.sweptAt);
    await this.state.updateOne({ _id: 'uploads' }, { $set: { sweptAt: new Date(now) } });
    return { swept: true, files, unfinished };
  }

  /** Takes the lease when it is free (its state before), else undefined. */
  private async lease(now: number): Promise<SweepState | undefined> {
    await this.state.updateOne({ _id: 'uploads' }, { $setOnInsert: { leaseUntil: RELEASED } }, { upsert: true });
    const at = new Date(now);
    // A state stored before the lease was a job's (`until`, `owner`) has no leaseUntil: free, and rewritten so.
    const taken = await this.state.findOneAndUpdate(
      { _id: 'uploads', $or: [leaseFree(at), { leaseUntil: { $exists: false } }] },
      { $set: leaseTo(this.opts.owner, this.opts.leaseMs, at), $unset: { until: '', owner: '' } },
      { returnDocument: 'before' },
    );
    return taken ?? undefined;
  }

  /** Files past the grace period that no version names: removed; named ones marked checked. */
  private async unnamedFiles(now: number): Promise<number> {
    let removed = 0;
    for (;;) {
      const batch = await this.files
        .find({ 'metadata.checked': { $ne: true }, uploadDate: { $lt: new Date(now - this.graceMs) } }, { projection: { _id: 1 }, limit: BATCH })
        .toArray();
      if (batch.length === 0) return removed;
      const named = await this.versions.find({ file: { $in: batch.map((f) => f._id) } }, { projection: { file: 1 } }).toArray();
      const isNamed = new Set(named.map((v) => String(v.file)));
      for (const f of batch) {
        if (isNamed.has(String(f._id))) await this.files.updateOne({ _id: f._id }, { $set: { 'metadata.checked': true } });
        else {
          await this.bucket.delete(f._id).catch(() => undefined);
          removed++;
        }
      }
    }
  }

  /**
   * Chunks whose file has no document: uploads that never finished. Found by their first chunk (`n` 0, which GridFS
   * writes first) in `files_id` order (the chunks' own index); a file's id is an ObjectId made when its upload
   * started, so only uploads that started before the grace period, and after what the last sweep covered, are read.
   * Removed when the latest chunk is older than the grace period too (a slow upload still running is left alone).
   */
  private async unfinishedUploads(now: number, sweptAt: Date | undefined): Promise<number> {
    const before = ObjectId.createFromTime(Math.floor((now - this.graceMs) / 1000));
    let after = sweptAt ? ObjectId.createFromTime(Math.max(0, Math.floor((sweptAt.getTime() - LONGEST_UPLOAD_MS) / 1000))) : undefined;
    let removed = 0;
    for (;;) {
      const range = after ? { $gt: after, $lt: before } : { $lt: before };
      const firsts = await this.chunks.find({ files_id: range, n: 0 }, { projection: { files_id: 1 }, sort: { files_id: 1, n: 1 }, limit: BATCH }).toArray();
      if (firsts.length === 0) return removed;
      const ids = firsts.map((c) => c.files_id);
      const finished = new Set((await this.files.find({ _id: { $in: ids } }, { projection: { _id: 1 } }).toArray()).map((f) => String(f._id)));
      for (const id of ids) {
        if (finished.has(String(id)) || !(await this.lastChunkBefore(id, now - this.graceMs))) continue;
        await this.chunks.deleteMany({ files_id: id });
        removed++;
      }
      after = ids[ids.length - 1];
    }
  }

  /** Was the latest chunk of upload `id` written before `time`? (A chunk's `_id` is an ObjectId made as it is written.) */
  private async lastChunkBefore(id: ObjectId, time: number): Promise<boolean> {
    const [last] = await this.chunks.find({ files_id: id }, { projection: { _id: 1 }, sort: { n: -1 }, limit: 1 }).toArray();
    return last !== undefined && last._id.getTimestamp().getTime() < time;
  }
}
