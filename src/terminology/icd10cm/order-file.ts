import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';

/**
 * The CDC/NCHS ICD-10-CM order file ("Code Descriptions in Tabular Order", terminology/icd10cm/README.md): one
 * fixed-width line per code or header. 0-based columns: order number 0-4, code (no dot) 6-12, flag 14 (`1` valid
 * for HIPAA-covered transactions, `0` header), short description 16-75, long description from 77.
 */

export interface OrderRecord {
  /** As the file writes it, without the dot: `E119`. */
  code: string;
  billable: boolean;
  short: string;
  long: string;
}

export interface OrderFile {
  fiscalYear: number;
  file: string;
}

export class OrderFileError extends Error {}

/** `icd10cm-order-2026.txt` or `.txt.gz`: the fiscal year is in the name, as NCHS names them. */
const NAME = /^icd10cm-order-(\d{4})\.txt(\.gz)?$/;

/** The order files in `dir`, oldest fiscal year first; two files for one year are refused. */
export function orderFilesIn(dir: string): OrderFile[] {
  const files = new Map<number, string>();
  for (const name of fs.readdirSync(dir)) {
    const m = NAME.exec(name);
    if (!m) continue;
    const fy = Number(m[1]);
    const other = files.get(fy);
    if (other) throw new OrderFileError(`${dir} holds two order files for FY${fy}: ${path.basename(other)} and ${name}`);
    files.set(fy, path.join(dir, name));
  }
  return [...files].sort(([a], [b]) => a - b).map(([fiscalYear, file]) => ({ fiscalYear, file }));
}

/** The file's text as bytes, uncompressed (off the main thread: zlib runs on libuv's pool). */
export async function readOrderFile(file: string): Promise<Buffer> {
  const raw = await fs.promises.readFile(file);
  return file.endsWith('.gz') ? promisify(gunzip)(raw) : raw;
}

const SPACE = 0x20;
const CR = 0x0d;
const LF = 0x0a;

function trimmedEnd(buf: Buffer, start: number, end: number): number {
  while (end > start && buf[end - 1] === SPACE) end--;
  return end;
}

/** Where a parse of one file has got to: `parseOrderLines` goes on from here. */
export interface OrderFileCursor {
  buf: Buffer;
  name: string;
  offset: number;
  line: number;
}

export const orderFileCursor = (buf: Buffer, name: string): OrderFileCursor => ({ buf, name, offset: 0, line: 0 });

/**
 * Calls `each` for up to `maxLines` more lines of an order file and returns whether lines remain. Strings are
 * decoded from the bytes field by field (latin1: the files are ASCII), so none of them keeps the whole file's text
 * alive. A line that does not have the layout throws, naming the file and line.
 */
export function parseOrderLines(cur: OrderFileCursor, each: (r: OrderRecord) => void, maxLines = Infinity): boolean {
  const buf = cur.buf;
  for (let n = 0; n < maxLines && cur.offset < buf.length;) {
    const start = cur.offset;
    let end = buf.indexOf(LF, start);
    if (end < 0) end = buf.length;
    cur.offset = end + 1;
    if (end > start && buf[end - 1] === CR) end--;
    if (end === start) continue;
    n++;
    cur.line++;
    const flag = buf[start + 14];
    if (end < start + 78 || buf[start + 5] !== SPACE || buf[start + 13] !== SPACE || (flag !== 0x30 && flag !== 0x31)) {
      throw new OrderFileError(`${cur.name} line ${cur.line} is not an ICD-10-CM order file line: ${buf.toString('latin1', start, Math.min(end, start + 40))}`);
    }
    const code = buf.toString('latin1', start + 6, trimmedEnd(buf, start + 6, start + 13));
    const short = buf.toString('latin1', start + 16, trimmedEnd(buf, start + 16, start + 76));
    const long = buf.toString('latin1', start + 77, trimmedEnd(buf, start + 77, end));
    each({ code, billable: flag === 0x31, short, long });
  }
  return cur.offset < buf.length;
}
