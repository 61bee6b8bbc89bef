import { MongoClient } from 'mongodb';
import { startEmbeddedMongo } from '../../../src/embedded-mongo';

export type EmbeddedServer = Awaited<ReturnType<typeof startEmbeddedMongo>>;

/** Runs `fn` against an embedded engine persisted in `dir`, then stops it: one start-stop cycle of a restart test. */
export async function withServer<T>(dir: string, fn: (client: MongoClient, server: EmbeddedServer) => Promise<T>): Promise<T> {
  const server = await startEmbeddedMongo({ dataDir: dir });
  const client = await MongoClient.connect(server.uri);
  try {
    return await fn(client, server);
  } finally {
    await client.close();
    await server.stop();
  }
}
