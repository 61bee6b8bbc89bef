import { type Db, MongoClient } from 'mongodb';
import { startEmbeddedMongo } from '@fhirstone/embedded-mongo';

/** A fresh database for one test file: MongoDB when MONGODB_URI is set, else the embedded engine in memory. */
export interface TestDatabase {
  db: Db;
  client: MongoClient;
  close(): Promise<void>;
}

export async function openTestDatabase(): Promise<TestDatabase> {
  const engine = process.env.MONGODB_URI ? undefined : await startEmbeddedMongo();
  const client = new MongoClient(process.env.MONGODB_URI || engine!.uri, { ignoreUndefined: true });
  await client.connect();
  const db = client.db(`audit_${process.pid}_${Math.random().toString(36).slice(2, 8)}`);
  return {
    db,
    client,
    async close() {
      if (process.env.MONGODB_URI) await db.dropDatabase();
      await client.close();
      await engine?.stop();
    },
  };
}
