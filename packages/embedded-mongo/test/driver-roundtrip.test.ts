import { MongoClient, MongoServerError } from 'mongodb';
import { EmbeddedMongo, startEmbeddedMongo } from '../src';

describe('embedded engine through the official driver', () => {
  let server: EmbeddedMongo;
  let client: MongoClient;

  beforeAll(async () => {
    server = await startEmbeddedMongo();
    client = await MongoClient.connect(server.uri);
  });
  afterAll(async () => {
    await client.close();
    await server.stop();
  });

  it('listens on a unix domain socket (loopback TCP on Windows) and is a replica set primary to the driver', async () => {
    if (process.platform === 'win32') expect(server.uri).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+\/\?replicaSet=embedded$/);
    else expect(server.uri).toMatch(/^mongodb:\/\/%2F.*mongod\.sock\/\?directConnection=true$/);
    const hello = await client.db('admin').command({ hello: 1 });
    expect(hello).toMatchObject({ setName: 'embedded', isWritablePrimary: true, logicalSessionTimeoutMinutes: 30 });
  });

  it('inserts, finds with sort and rejects a duplicate on a unique index with 11000', async () => {
    const col = client.db('rt').collection('a');
    await col.createIndex({ a: 1 }, { unique: true });
    await col.insertMany([{ a: 1 }, { a: 2 }]);
    expect(
      (
        await col
          .find({ a: { $gte: 1 } })
          .sort({ a: -1 })
          .toArray()
      ).map((d) => d.a),
    ).toEqual([2, 1]);
    const err = await col.insertOne({ a: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MongoServerError);
    expect((err as MongoServerError).code).toBe(11000);
    expect((err as MongoServerError).keyValue).toEqual({ a: 1 });
  });

  it('commits a transaction atomically and hides it from others until commit', async () => {
    const col = client.db('rt').collection('t');
    await col.insertOne({ k: 'x', n: 0 });
    const session = client.startSession();
    let outsideDuring = -1;
    try {
      await session.withTransaction(async () => {
        await col.insertOne({ k: 'y' }, { session });
        await col.updateOne({ k: 'x' }, { $inc: { n: 1 } }, { session });
        outsideDuring = await col.countDocuments({});
      });
    } finally {
      await session.endSession();
    }
    expect(outsideDuring).toBe(1);
    expect(await col.countDocuments({})).toBe(2);
    expect((await col.findOne({ k: 'x' }))?.n).toBe(1);
  });

  it('answers an unknown command with CommandNotFound instead of dropping the socket', async () => {
    const err = await client
      .db('admin')
      .command({ noSuchThing: 1 })
      .catch((e: unknown) => e);
    expect((err as MongoServerError).code).toBe(59);
    await expect(client.db('admin').command({ ping: 1 })).resolves.toMatchObject({ ok: 1 });
  });
});
