/**
 * MongoDB wire protocol framing: OP_MSG (all commands) and OP_QUERY/OP_REPLY, which the driver still uses for the
 * very first `hello` of a connection when no server API version is requested.
 */
import { BSON } from 'bson';
import { arrayDocuments } from '../values/bson-bytes';

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_MSG = 2013;
export const OP_COMPRESSED = 2012;

const CHECKSUM_PRESENT = 1;
export const MORE_TO_COME = 2;

/** Deserialisation options: keep regexes as BSON regexes so options like `x` survive. */
const DESERIALIZE = { bsonRegExp: true, promoteLongs: true, promoteValues: true } as const;

export interface Request {
  requestId: number;
  opCode: number;
  /** Command document with any OP_MSG document sequences merged in as arrays. */
  command: Record<string, unknown>;
  /** OP_QUERY: the database from the namespace; OP_MSG carries `$db` in the command. */
  db: string;
  moreToCome: boolean;
  /**
   * Insert commands: the received bytes of each of `documents`, in order (views into the message, so they must not
   * outlive the request).
   */
  documentBytes?: Buffer[];
}

/** Length of the next complete message at `offset`, or -1 if more bytes are needed. */
export function messageLength(buf: Buffer, offset: number): number {
  if (buf.length - offset < 4) return -1;
  const len = buf.readInt32LE(offset);
  return buf.length - offset >= len ? len : -1;
}

function cstring(buf: Buffer, at: number): [string, number] {
  const end = buf.indexOf(0, at);
  return [buf.toString('utf8', at, end), end + 1];
}

export function parseMessage(msg: Buffer): Request {
  const requestId = msg.readInt32LE(4);
  const opCode = msg.readInt32LE(12);
  if (opCode === OP_MSG) {
    const flags = msg.readUInt32LE(16);
    // A trailing CRC-32C is optional; loopback needs no integrity check, so it is skipped, not verified.
    const end = flags & CHECKSUM_PRESENT ? msg.length - 4 : msg.length;
    let at = 20;
    let command: Record<string, unknown> | undefined;
    let body: Buffer | undefined;
    let documentBytes: Buffer[] | undefined;
    const sequences: Array<[string, unknown[]]> = [];
    while (at < end) {
      const kind = msg[at++];
      if (kind === 0) {
        const size = msg.readInt32LE(at);
        body = msg.subarray(at, at + size);
        command = BSON.deserialize(body, DESERIALIZE);
        at += size;
      } else if (kind === 1) {
        const size = msg.readInt32LE(at);
        const stop = at + size;
        const [id, next] = cstring(msg, at + 4);
        const docs: unknown[] = [];
        const bytes: Buffer[] = [];
        let p = next;
        while (p < stop) {
          const dsize = msg.readInt32LE(p);
          bytes.push(msg.subarray(p, p + dsize));
          docs.push(BSON.deserialize(bytes[bytes.length - 1], DESERIALIZE));
          p += dsize;
        }
        if (id === 'documents') documentBytes = bytes;
        sequences.push([id, docs]);
        at = stop;
      } else throw new Error(`unknown OP_MSG section kind ${kind}`);
    }
    if (!command || !body) throw new Error('OP_MSG without a body section');
    for (const [id, docs] of sequences) command[id] = docs;
    // The driver sends insertMany's documents as a sequence, insertOne's inside the body.
    if (Object.keys(command)[0] === 'insert') documentBytes ??= arrayDocuments(body, 'documents');
    else documentBytes = undefined;
    return { requestId, opCode, command, db: String(command.$db ?? 'admin'), moreToCome: (flags & MORE_TO_COME) !== 0, documentBytes };
  }
  if (opCode === OP_QUERY) {
    const [ns, at] = cstring(msg, 20);
    const docAt = at + 8;
    const size = msg.readInt32LE(docAt);
    let command = BSON.deserialize(msg.subarray(docAt, docAt + size), DESERIALIZE);
    // Legacy wrapping: {$query: {...}, $readPreference: ...}
    if (command.$query && typeof command.$query === 'object') command = command.$query as Record<string, unknown>;
    return { requestId, opCode, command, db: ns.slice(0, ns.indexOf('.')), moreToCome: false };
  }
  throw new Error(`unsupported opCode ${opCode}`);
}

let nextId = 1;

function header(length: number, responseTo: number, opCode: number): Buffer {
  const h = Buffer.allocUnsafe(16);
  h.writeInt32LE(length, 0);
  h.writeInt32LE(nextId++ & 0x7fffffff, 4);
  h.writeInt32LE(responseTo, 8);
  h.writeInt32LE(opCode, 12);
  return h;
}

export function opMsgReply(responseTo: number, body: Uint8Array): Buffer {
  const h = header(16 + 4 + 1 + body.length, responseTo, OP_MSG);
  const flags = Buffer.alloc(5);
  return Buffer.concat([h, flags, body]);
}

export function opReply(responseTo: number, body: Uint8Array): Buffer {
  const h = header(16 + 20 + body.length, responseTo, OP_REPLY);
  const fields = Buffer.alloc(20);
  fields.writeInt32LE(1, 16); // numberReturned
  return Buffer.concat([h, fields, body]);
}
