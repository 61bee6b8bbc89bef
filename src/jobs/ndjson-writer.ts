import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { JobFileStore } from './file-store';
import type { JobFile } from './job';

/** Lines are gathered into chunks of about this size before a write: fewer calls, same constant memory. */
const CHUNK_BYTES = 64 * 1024;
const NEWLINE = Buffer.from('\n');

/**
 * Writes NDJSON lines of one kind and type into numbered files of at most `maxLines` lines, honouring the
 * store's backpressure (a full stream is awaited until it drains), so memory stays constant whatever the size.
 */
export class NdjsonFileWriter {
  private stream?: Writable & { abort(): Promise<void> };
  /** Settles when the open file is completely stored, or rejects with the store's error. */
  private done: Promise<void> = Promise.resolve();
  private name = '';
  private lines = 0;
  private buffer: Buffer[] = [];
  private bufferBytes = 0;

  constructor(
    private readonly files: JobFileStore,
    private readonly jobId: string,
    private readonly type: string,
    private readonly kind: JobFile['kind'],
    private readonly maxLines: number,
    /** Number of the next file (continues after the files of a resumed job). */
    private seq: number,
  ) {}

  get open(): boolean {
    return this.stream !== undefined;
  }

  get full(): boolean {
    return this.lines >= this.maxLines;
  }

  private fileName(): string {
    const stem = this.kind === 'output' ? this.type : `${this.type}.${this.kind}`;
    return `${stem}-${this.seq}.ndjson`;
  }

  /** One line: JSON text, or its UTF-8 bytes. */
  async write(line: string | Buffer): Promise<void> {
    if (!this.stream) {
      this.name = this.fileName();
      this.stream = this.files.create(this.jobId, this.name);
      this.done = finished(this.stream);
      this.done.catch(() => undefined); // awaited in flush/close; a stream given up by abort() needs no handler
    }
    const bytes = typeof line === 'string' ? Buffer.from(line) : line;
    this.buffer.push(bytes, NEWLINE);
    this.bufferBytes += bytes.length + 1;
    this.lines++;
    if (this.bufferBytes >= CHUNK_BYTES) await this.flush();
  }

  private async flush(): Promise<void> {
    if (!this.stream || this.buffer.length === 0) return;
    const chunk = Buffer.concat(this.buffer, this.bufferBytes);
    this.buffer = [];
    this.bufferBytes = 0;
    if (!this.stream.write(chunk)) await Promise.race([once(this.stream, 'drain'), this.done]);
  }

  /** Completes the open file, if any, and returns its manifest entry. */
  async close(): Promise<JobFile | undefined> {
    if (!this.stream) return undefined;
    await this.flush();
    const stream = this.stream;
    stream.end();
    await this.done;
    const file: JobFile = {
      name: this.name,
      type: this.kind === 'output' ? this.type : this.kind === 'deleted' ? 'Bundle' : 'OperationOutcome',
      kind: this.kind,
      count: this.lines,
    };
    this.stream = undefined;
    this.lines = 0;
    this.seq++;
    return file;
  }

  /** Discards the open file (job cancelled, lease lost, failure). */
  async abort(): Promise<void> {
    const stream = this.stream;
    this.stream = undefined;
    this.buffer = [];
    this.bufferBytes = 0;
    await stream?.abort();
  }
}
