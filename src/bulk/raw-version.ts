import { BSON } from 'bson';

/**
 * What an export reads of a stored version, taken from its BSON where it lies: the resource's JSON (`r`) stays the
 * UTF-8 bytes it was sent as. Decoding it to a string for the NDJSON file, only to encode it again on write,
 * cost the server's thread about a tenth of an export (measured on 39k Synthea resources), and the strings
 * were most of its garbage.
 */
export interface RawVersion {
  _id: string;
  /** meta.lastUpdated, epoch milliseconds. */
  lu: number;
  del: boolean;
  r: Buffer;
}

const STRING = 2;
const BOOLEAN = 8;
const DATE = 9;
const NO_TEXT = Buffer.alloc(0);

/** A string element's bytes: after its int32 length, before its terminating NUL. */
const stringBytes = (doc: Buffer, at: number, length: number) => doc.subarray(at + 4, at + length - 1);

/** The fields of a version from one document the driver answered raw (`raw: true`). */
export function rawVersion(doc: Buffer): RawVersion {
  const out: RawVersion = { _id: '', lu: 0, del: false, r: NO_TEXT };
  for (const [type, nameAt, nameLength, at, length] of BSON.onDemand.parseToElements(doc)) {
    const name = doc.toString('latin1', nameAt, nameAt + nameLength);
    if (name === '_id' && type === STRING) out._id = stringBytes(doc, at, length).toString('utf8');
    else if (name === 'lu' && type === DATE) out.lu = Number(doc.readBigInt64LE(at));
    else if (name === 'del' && type === BOOLEAN) out.del = doc[at] === 1;
    else if (name === 'r' && type === STRING) out.r = stringBytes(doc, at, length);
  }
  return out;
}
