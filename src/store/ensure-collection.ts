import type { Db } from 'mongodb';

/**
 * Creates collection `name` unless it exists: before any transaction writes it, since MongoDB creates none inside
 * one. Another server on the same database may create it meanwhile; that counts as created.
 */
export async function ensureCollection(db: Db, name: string): Promise<void> {
  const exists = () => db.listCollections({ name }, { nameOnly: true }).hasNext();
  if (await exists()) return;
  await db.createCollection(name).catch(async (err: unknown) => {
    if (!(await exists())) throw err;
  });
}
