import { MongoClient } from 'mongodb';
import { StoreReplayCache } from '../../src/auth/store-replay-cache';
import { type TestDatabase, openTestDatabase } from '../audit/database';

/**
 * Two caches on one database stand for two server instances sharing a store, each with its own connection.
 */
let database: TestDatabase;
let second: MongoClient;
let now = 1_000_000_000;
const clock = () => now;
let a: StoreReplayCache;
let b: StoreReplayCache;

beforeAll(async () => {
  database = await openTestDatabase();
  second = new MongoClient(database.uri);
  await second.connect();
  a = new StoreReplayCache(database.db, clock);
  b = new StoreReplayCache(second.db(database.db.databaseName), clock);
});
afterAll(async () => {
  await second.close();
  await database.close();
});

describe('StoreReplayCache: assertion ids used, shared by every instance on the store', () => {
  it('refuses at one instance an id another instance recorded, while it is live', async () => {
    expect(await a.remember('client\njti-1', now + 60_000)).toBe('new');
    expect(await b.remember('client\njti-1', now + 60_000)).toBe('replayed');
    expect(await a.remember('client\njti-1', now + 60_000)).toBe('replayed');
  });

  it('lets exactly one of many racing instances record the same id', async () => {
    const answers = await Promise.all([...Array(10)].map((_, i) => (i % 2 ? a : b).remember('client\njti-race', now + 60_000)));
    expect(answers.filter((x) => x === 'new')).toHaveLength(1);
  });

  it('takes an expired id again, once, before or after it is swept', async () => {
    await a.remember('client\njti-old', now + 1_000);
    now += 1_000;
    const answers = await Promise.all([a.remember('client\njti-old', now + 60_000), b.remember('client\njti-old', now + 60_000)]);
    expect(answers.sort()).toEqual(['new', 'replayed']);
    now += 120_000;
    expect(await b.remember('client\njti-old', now + 60_000)).toBe('new');
  });

  it('sweeps expired ids from the store', async () => {
    const used = database.db.collection('auth_used_assertions');
    await a.remember('client\njti-swept', now + 1_000);
    const before = await used.countDocuments({});
    now += 61_000;
    await a.remember('client\njti-trigger', now + 60_000);
    expect(await used.countDocuments({ expiresAt: { $lte: new Date(now) } })).toBe(0);
    expect(await used.countDocuments({})).toBeLessThan(before + 1);
  });

  it("remembers an id of any length (a jti is the client's text)", async () => {
    const long = `client\n${'j'.repeat(5_000)}`;
    expect(await a.remember(long, now + 60_000)).toBe('new');
    expect(await b.remember(long, now + 60_000)).toBe('replayed');
  });
});
