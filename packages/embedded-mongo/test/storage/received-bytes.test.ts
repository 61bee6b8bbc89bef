import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BSON, BSONRegExp, BSONSymbol, Binary, Code, Decimal128, Double, Long, MaxKey, MinKey, ObjectId, Timestamp, UUID } from 'bson';
import { withServer } from './with-server';
import { frame } from '../../src/storage/record-file';
import { keepReceived, takeReceived } from '../../src/storage/received-bytes';

type AnyDoc = any;

const internal = process.env.MONGODB_URI ? describe.skip : describe;

/** The options the wire deserialises commands with. */
const WIRE = { bsonRegExp: true, promoteLongs: true, promoteValues: true } as const;

const typed = (i: number): AnyDoc => ({
  _id: `doc-${i}`,
  text: `héllo ✓ ${i}`,
  empty: '',
  nested: { deeper: { n: i, list: [1, 'two', { three: 3 }, [4, [5]]] }, '': 'empty key' },
  numbers: { small: 7, negative: -42, big: 2 ** 40, fraction: 0.5, negZero: -0, max: Number.MAX_VALUE, inf: -Infinity },
  when: new Date(Date.UTC(2024, 1, 29, 12, 0, 0, 5)),
  ancient: new Date(-8e15),
  re: new BSONRegExp('^a.*b$', 'imsx'),
  bin: new Binary(Buffer.from([0, 1, 2, 255]), 0),
  oldBin: new Binary(Buffer.from([3, 4]), 2),
  uuid: new UUID('0123456789abcdef0123456789abcdef'),
  oid: new ObjectId('00112233445566778899aabb'),
  dec: Decimal128.fromString('1.5E-30'),
  ts: new Timestamp({ t: 5, i: 9 }),
  code: new Code('return 1'),
  flags: [true, false, null],
  min: new MinKey(),
  max: new MaxKey(),
  many: Array.from({ length: 120 }, (_, k) => ({ k })),
});

/** `bytes` with every occurrence of `from` replaced by `to` (same length). */
function patched(bytes: Uint8Array, from: string, to: string): Buffer {
  return Buffer.from(Buffer.from(bytes).toString('latin1').split(from).join(to), 'latin1');
}

describe('journaling inserts from their received bytes', () => {
  it('writes exactly the record BSON.serialize would, and forgets the bytes once framed', () => {
    for (let i = 0; i < 3; i++) {
      const bytes = Buffer.from(BSON.serialize(typed(i)));
      const doc = BSON.deserialize(bytes, WIRE);
      expect(Buffer.from(BSON.serialize(doc)).equals(bytes)).toBe(true);
      const record = {
        ts: i + 1,
        ops: [
          { ns: 'db.c', k: 'gone' },
          { ns: 'db.c', d: doc },
          { ns: 'dé.ç', d: doc },
        ],
      };
      keepReceived(doc, bytes);
      const fromBytes = frame(record);
      expect(takeReceived(doc)).toBeUndefined();
      expect(fromBytes.equals(frame(record))).toBe(true);
    }
  });

  it('keeps the bytes of a typed document until it is framed', () => {
    const bytes = Buffer.from(BSON.serialize(typed(0)));
    const doc = BSON.deserialize(bytes, WIRE);
    keepReceived(doc, bytes);
    const copy = Buffer.from(bytes);
    // A copy: the received message it was a view of may be reused or freed.
    bytes.fill(0);
    expect(takeReceived(doc)?.equals(copy)).toBe(true);
  });

  const regexFlags = patched(BSON.serialize({ re: new BSONRegExp('a', 'im') }), 'im\0', 'mi\0');
  const arrayKeys = patched(BSON.serialize({ a: [1, 2] }), '\x100\0', '\x10x\0');
  const repeatedKey = patched(BSON.serialize({ a: 1, b: 2 }), '\x10b\0', '\x10a\0');
  const integerKey = patched(BSON.serialize({ b: 1, x: 2 }), '\x10x\0', '\x107\0');
  const undefinedValue = patched(BSON.serialize({ u: null }), '\x0au\0', '\x06u\0');
  const refused: Array<[string, Uint8Array]> = [
    ['an int64', BSON.serialize({ n: Long.fromNumber(5) })],
    ['an integral double', BSON.serialize({ n: new Double(2) })],
    ['a symbol', BSON.serialize({ s: new BSONSymbol('x') })],
    ['undefined', undefinedValue],
    ['unsorted regex flags', regexFlags],
    ['a key objects put first', integerKey],
    ['a DBRef', BSON.serialize({ r: { $id: 1, $ref: 'c' } })],
    ['array keys out of sequence', arrayKeys],
    ['a repeated key', repeatedKey],
    ['a date beyond what Date holds', BSON.serialize({ d: new Date(8.64e15) }).map((b, i, a) => (i === a.length - 2 ? 0x7f : b))],
  ];
  it.each(refused)('serialises a document again when its bytes would not come back the same: %s', (_name, bytes) => {
    const doc = BSON.deserialize(bytes, WIRE);
    expect(Buffer.from(BSON.serialize(doc)).equals(Buffer.from(bytes))).toBe(false);
    keepReceived(doc, Buffer.from(bytes));
    expect(takeReceived(doc)).toBeUndefined();
  });
});

internal('documents journaled from their received bytes', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emb-raw-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('replay after a restart returns the documents as inserted', async () => {
    const expected: AnyDoc[] = [];
    await withServer(dir, async (c) => {
      const col = c.db('d').collection<AnyDoc>('c');
      // insertMany sends a document sequence, insertOne the documents inside the command body.
      await col.insertMany([typed(0), typed(1)]);
      await col.insertOne(typed(2));
      // The driver appends a missing _id; the engine moves it first, so this one is serialised again.
      await col.insertOne({ a: 1, nested: { b: [1, 2] } });
      const session = c.startSession();
      await session.withTransaction(async () => {
        await col.insertMany([typed(3), typed(4)], { session });
        await col.replaceOne({ _id: 'doc-4' }, { ...typed(4), replaced: true }, { session });
      });
      await session.endSession();
      await col.insertMany([{ _id: 'dup' }, { _id: 'dup' }, typed(5)], { ordered: false }).catch(() => undefined);
      expected.push(...(await col.find({}).sort({ _id: 1 }).toArray()));
    });
    expect(expected.map((d) => d._id)).toHaveLength(8);
    await withServer(dir, async (c) => {
      const col = c.db('d').collection<AnyDoc>('c');
      const read = await col.find({}).sort({ _id: 1 }).toArray();
      expect(read).toEqual(expected);
      expect(read.map((d) => BSON.serialize(d))).toEqual(expected.map((d) => BSON.serialize(d)));
      expect(read.find((d) => d._id === 'doc-4')?.replaced).toBe(true);
    });
  });
});
