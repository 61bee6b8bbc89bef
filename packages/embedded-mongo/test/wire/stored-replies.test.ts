import { BSON, Binary, Decimal128, Long, ObjectId, Timestamp } from 'bson';
import { MongoClient } from 'mongodb';
import { Dispatcher } from '../../src/commands/dispatch';
import { Engine } from '../../src/engine/engine';
import { StoredDocument, storedBytesOf } from '../../src/engine/stored-bytes';
import { LATEST, runQuery } from '../../src/engine/query-exec';
import { parseSort } from '../../src/query/sort';
import { Persistence } from '../../src/storage/persistence';
import { compileProjection } from '../../src/query/projection';
import { serializeReply } from '../../src/wire/reply-bytes';
import { startEmbeddedMongo } from '../../src';

type Doc = Record<string, unknown>;

const internal = process.env.MONGODB_URI ? describe.skip : describe;

/** As the wire decodes. */
const WIRE = { bsonRegExp: true, promoteLongs: true, promoteValues: true } as const;

const sample = (i: number): Doc => ({
  _id: `doc-${i}`,
  text: `héllo ✓ ${i}`,
  nested: { n: i, list: [1, 'two', { three: 3 }, [4, [5]]], '': 'empty key' },
  numbers: { small: 7, big: 2 ** 40, fraction: 0.5, huge: Long.fromString('9007199254740993') },
  when: new Date(Date.UTC(2024, 1, 29, 12, 0, 0, 5)),
  bin: new Binary(Buffer.from([0, 1, 2, 255]), 0),
  oid: new ObjectId('00112233445566778899aabb'),
  dec: Decimal128.fromString('1.5E-30'),
  flags: [true, false, null],
});

/** The reply with each stored document decoded, as the engine answered before it kept stored bytes. */
function decoded(reply: Doc): Doc {
  const cursor = reply.cursor as Doc;
  const batch = (cursor.firstBatch ?? cursor.nextBatch) as unknown[];
  const docs = batch.map((d) => (d instanceof StoredDocument ? BSON.deserialize(d.bytes, WIRE) : d));
  return { ...reply, cursor: { ...cursor, [cursor.firstBatch ? 'firstBatch' : 'nextBatch']: docs } };
}

describe('serialising a reply with stored documents', () => {
  it('gives the bytes BSON.serialize gives for the same reply with the documents decoded', () => {
    const stored = [0, 1, 2].map((i) => new StoredDocument(Buffer.from(BSON.serialize(sample(i)))));
    const replies: Doc[] = [
      { cursor: { firstBatch: stored, id: Long.ZERO, ns: 'db.c' }, ok: 1 },
      // Mixed: a transaction's own write among stored documents; a later batch; fields around the cursor.
      {
        cursor: { nextBatch: [stored[0], { _id: 'own', é: 'new' }, stored[2]], id: Long.fromString('1733500000000001'), ns: 'dé.ç' },
        ok: 1,
        operationTime: new Timestamp({ t: 5, i: 9 }),
      },
      {
        cursor: { firstBatch: [stored[1]], id: Long.ZERO, ns: 'db.c', partialResultsReturned: false },
        ok: 1,
        $clusterTime: { clusterTime: new Timestamp({ t: 1, i: 1 }) },
      },
    ];
    for (const reply of replies) expect(Buffer.from(serializeReply(reply)).equals(Buffer.from(BSON.serialize(decoded(reply))))).toBe(true);
  });

  it('serialises a reply without stored documents as BSON.serialize does', () => {
    const reply = { cursor: { firstBatch: [sample(1)], id: Long.ZERO, ns: 'db.c' }, ok: 1 };
    expect(Buffer.from(serializeReply(reply)).equals(Buffer.from(BSON.serialize(reply)))).toBe(true);
  });
});

internal('a find answering from the store', () => {
  let persistence: Persistence;
  let engine: Engine;
  let dispatcher: Dispatcher;
  const run = (command: Doc) => dispatcher.run({ ...command, $db: 'db' }, 'db', 1);

  beforeAll(async () => {
    persistence = new Persistence(undefined, 'never');
    engine = new Engine(persistence.store);
    persistence.attach(engine);
    dispatcher = new Dispatcher(engine, { host: 'test', setName: 'embedded', startedAt: new Date() });
    await run({ insert: 'c', documents: [0, 1, 2, 3].map(sample) });
  });
  afterAll(() => persistence.close());

  const batchOf = (reply: Doc) => ((reply.cursor as Doc).firstBatch ?? (reply.cursor as Doc).nextBatch) as unknown[];

  it('answers each stored document with the bytes it is stored in', async () => {
    const reply = await run({ find: 'c', filter: { 'nested.n': { $gte: 1 } }, sort: { _id: 1 } });
    const batch = batchOf(reply);
    expect(batch.map((d) => d instanceof StoredDocument)).toEqual([true, true, true]);
    expect(BSON.deserialize((batch[0] as StoredDocument).bytes, WIRE)).toEqual(BSON.deserialize(BSON.serialize(sample(1)), WIRE));
  });

  it("keeps stored bytes only for a find's reply: not for other reads, nor for every match a blocking sort holds", async () => {
    const coll = engine.collection('db', 'c');
    const kept = (spec: Parameters<typeof runQuery>[2]) => runQuery(coll, LATEST, spec).docs.map((d) => storedBytesOf(d) !== undefined);
    expect(kept({ filter: {} })).toEqual([false, false, false, false]);
    expect(kept({ filter: {}, forReply: true })).toEqual([true, true, true, true]);
    expect(kept({ filter: {}, sort: parseSort({ text: -1 }), forReply: true })).toEqual([false, false, false, false]);
    const sorted = batchOf(await run({ find: 'c', filter: {}, sort: { text: -1 } }));
    expect(sorted.map((d) => (d as Doc)._id)).toEqual(['doc-3', 'doc-2', 'doc-1', 'doc-0']);
  });

  it('copies the values a plain projection keeps from the stored bytes, giving what serialising the projection gives', async () => {
    const projections: Doc[] = [
      { text: 1, nested: 1 },
      { when: 1, _id: 0, numbers: true },
      { nested: 0, bin: 0 },
      { 'nested.n': 1, 'nested.list': 1, dec: 1 },
      { 'nested.list': 0 },
      {},
    ];
    for (const projection of projections) {
      const batch = batchOf(await run({ find: 'c', filter: { _id: 'doc-1' }, projection }));
      expect(batch[0]).toBeInstanceOf(StoredDocument);
      const expected = compileProjection(projection)(BSON.deserialize(BSON.serialize(sample(1)), WIRE));
      expect((batch[0] as StoredDocument).bytes.equals(Buffer.from(BSON.serialize(expected)))).toBe(true);
    }
  });

  it('serialises documents projected with operators', async () => {
    const batch = batchOf(await run({ find: 'c', filter: { _id: 'doc-1' }, projection: { 'nested.list': { $slice: 1 }, text: 1 } }));
    expect(batch).toEqual([{ _id: 'doc-1', text: 'héllo ✓ 1', nested: { list: [1] } }]);
  });

  it("serialises a transaction's own writes and answers the rest from the store", async () => {
    const txn = { lsid: { id: new Binary(Buffer.alloc(16, 7), 4) }, txnNumber: Long.fromNumber(1), autocommit: false };
    await run({ update: 'c', updates: [{ q: { _id: 'doc-2' }, u: { $set: { text: 'changed' } } }], ...txn, startTransaction: true });
    const batch = batchOf(await run({ find: 'c', filter: { _id: { $in: ['doc-1', 'doc-2'] } }, ...txn }));
    expect(batch[0]).toBeInstanceOf(StoredDocument);
    expect(batch[1]).toMatchObject({ _id: 'doc-2', text: 'changed' });
    await run({ abortTransaction: 1, ...txn, $db: 'admin' });
  });
});

internal('stored documents over the wire', () => {
  it('hands out a read-ahead document as it is when the next batch is asked for', async () => {
    const server = await startEmbeddedMongo();
    const client = await MongoClient.connect(server.uri);
    try {
      const c = client.db('db').collection<{ _id: string } & Doc>('c');
      await c.insertMany([0, 1, 2].map((i) => sample(i) as { _id: string } & Doc));
      const cursor = c.find({}, { sort: { _id: 1 }, batchSize: 1 });
      expect((await cursor.next())?._id).toBe('doc-0');
      await c.updateOne({ _id: 'doc-1' }, { $set: { text: 'after the first batch' } });
      await c.deleteOne({ _id: 'doc-2' });
      expect(await cursor.toArray()).toEqual([expect.objectContaining({ _id: 'doc-1', text: 'after the first batch', numbers: sample(1).numbers })]);
    } finally {
      await client.close();
      await server.stop();
    }
  });
});
