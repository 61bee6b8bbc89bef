import parseRange from 'range-parser';
import { rangeNotSatisfiable } from '../errors/operation-outcome-error';

/** Bytes `start` to `end` of a representation, both included (as a Range header names them). */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * The one byte range a request's `Range` header asks of a representation of `size` bytes, or undefined when the
 * whole of it is to be sent: no Range, a malformed one or one of another unit (RFC 9110 says to ignore those),
 * several ranges (a server may answer those whole; multipart bodies are not worth their cost for NDJSON), or an
 * `If-Range` (there is no validator it could match, so the range must be ignored). Throws range-not-satisfiable
 * (416) when every range lies beyond the end.
 */
export function requestedRange(headers: Record<string, string | undefined>, size: number): ByteRange | undefined {
  const header = headers.range;
  if (header === undefined || headers['if-range'] !== undefined) return undefined;
  const ranges = parseRange(size, header, { combine: true });
  if (ranges === -1) throw rangeNotSatisfiable(`The range ${header} lies beyond the end of the ${size} bytes`, size);
  if (ranges === -2 || ranges.type !== 'bytes' || ranges.length !== 1) return undefined;
  return { start: ranges[0].start, end: ranges[0].end };
}

/** The headers of a 206 answer carrying `range` of `size` bytes. */
export function partialContentHeaders(range: ByteRange, size: number): Record<string, string> {
  return { 'Content-Range': `bytes ${range.start}-${range.end}/${size}`, 'Content-Length': String(range.end - range.start + 1) };
}
