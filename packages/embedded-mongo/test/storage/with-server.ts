import { MongoClient } from 'mongodb';
import { startEmbeddedMongo, type EmbeddedMongo, type EmbeddedMongoOptions } from '../../src';

export type EmbeddedServer = Awaited<ReturnType<typeof startEmbeddedMongo>>;

/**
 * Runs `fn` against an embedded engine persisted in `dir`, then stops it: one start-stop cycle of a restart test.
 * `start` chooses how the engine runs (on this thread by default, or `startEmbeddedMongoThread`).
 */
export async function withServer<T, S extends EmbeddedMongo = EmbeddedServer>(
  dir: string,
  fn: (client: MongoClient, server: S) => Promise<T>,
  start: (opts: EmbeddedMongoOptions) => Promise<S> = startEmbeddedMongo as unknown as (opts: EmbeddedMongoOptions) => Promise<S>,
): Promise<T> {
  const server = await start({ dataDir: dir });
  const client = await MongoClient.connect(server.uri);
  try {
    return await fn(client, server);
  } finally {
    await client.close();
    await server.stop();
  }
}
