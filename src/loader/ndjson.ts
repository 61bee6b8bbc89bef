import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import type { Resource } from 'fhir/r4';

/** A problem with one line that never reached the server (not JSON, not a resource). */
export interface LineError {
  line: number;
  message: string;
}

/** Up to `size` consecutive resources of one NDJSON file, with the 1-based line each came from. */
export interface NdjsonBatch {
  resources: Resource[];
  lines: number[];
  /** Lines of this stretch that could not be parsed; reported, never sent. */
  errors: LineError[];
  /** Bytes of the file this batch covers (progress). */
  bytes: number;
}

export interface ReadOptions {
  size: number;
  /** Lines to skip without parsing (already loaded in a previous run). */
  skip?: (line: number) => boolean;
}

function parseLine(text: string): Resource | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return `not valid JSON (${(err as Error).message})`;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const type = (value as { resourceType?: unknown }).resourceType;
  if (typeof type !== 'string' || !type) return 'has no resourceType';
  return value as Resource;
}

/**
 * Reads an NDJSON file (a path, or a stream of its bytes) line by line and yields batches, so memory stays bounded by the batch size whatever the
 * file size. Blank lines are allowed (trailing newline, CRLF files) and count toward line numbers.
 */
export async function* readNdjsonBatches(file: string | Readable, opts: ReadOptions): AsyncGenerator<NdjsonBatch> {
  const lines = createInterface({ input: typeof file === 'string' ? createReadStream(file) : file, crlfDelay: Infinity });
  // A read error reaches the loop below through the iterator; one after a caller stopped reading (a cancelled
  // import aborting its source) must not go unhandled.
  lines.on('error', () => undefined);
  let batch: NdjsonBatch = { resources: [], lines: [], errors: [], bytes: 0 };
  let n = 0;
  for await (const text of lines) {
    n++;
    batch.bytes += Buffer.byteLength(text) + 1;
    if (opts.skip?.(n) || text.trim() === '') continue;
    const parsed = parseLine(text);
    if (typeof parsed === 'string') batch.errors.push({ line: n, message: parsed });
    else {
      batch.resources.push(parsed);
      batch.lines.push(n);
    }
    if (batch.resources.length >= opts.size) {
      yield batch;
      batch = { resources: [], lines: [], errors: [], bytes: 0 };
    }
  }
  if (batch.resources.length || batch.errors.length || batch.bytes) yield batch;
}
