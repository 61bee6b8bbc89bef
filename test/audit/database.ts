import { type Db, MongoClient } from 'mongodb';
import { startEmbeddedMongo } from '@fhirstone/embedded-mongo';

/** A fresh database for one test file: MongoDB when MONGODB_URI is set, else the embedded engine in memory. */
export interface TestDatabase {
  db: Db;
  client: MongoClient;
  /** Where the database is, for a second connection (another server instance). */
  uri: string;
  close(): Promise<void>;
}

export async function openTestDatabase(): Promise<TestDatabase> {
  const engine = process.env.MONGODB_URI ? undefined : await startEmbeddedMongo();
  const uri = process.env.MONGODB_URI || engine!.uri;
  const client = new MongoClient(uri, { ignoreUndefined: true });
  await client.connect();
  const db = client.db(`audit_${process.pid}_${Math.random().toString(36).slice(2, 8)}`);
  return {
    db,
    client,
    uri,
    async close() {
      if (process.env.MONGODB_URI) await db.dropDatabase();
      await client.close();
      await engine?.stop();
    },
  };
}
