import { randomUUID } from 'node:crypto';
import type { Bundle, FhirResource, Resource } from 'fhir/r4';
import { type Db, type Filter, FindCursor, MongoClient } from 'mongodb';
import { startEmbeddedMongo } from '@fhirstone/embedded-mongo';
import { SearchContext, buildSearchIndex, executeSearch, parseSearch, searchIndexSpecs } from '../../../src/search';
import type { ExecuteContext, SearchFindOptions, SearchStore } from '../../../src/search/types';
import { type AccessPolicy, unrestrictedPolicy } from '../../../src/auth/access-policy';
import { Repository } from '../../../src/store/repository';
import type { StoredDocument } from '../../../src/store/stored-document';

/**
 * Test harness: the repository the server searches through (built as src/server.ts builds it, over the embedded
 * engine or MONGODB_URI when set), as the unrestricted system or as `policy` when a test sets one, recording every
 * query the search layer sends it.
 */
export class TestStore implements SearchStore {
  /** Every query the search layer sent, for assertions about what reached the store. */
  readonly seen: Array<{ type: string; filter: Filter<StoredDocument>; options: SearchFindOptions }> = [];
  /** The caller's policy; undefined for the unrestricted system. */
  policy?: AccessPolicy;

  constructor(private readonly system: Repository) {}

  private get repo(): Repository {
    return this.policy ? this.system.as(this.policy) : this.system;
  }

  find(type: string, filter: Filter<StoredDocument>, options: SearchFindOptions) {
    this.seen.push({ type, filter, options });
    return this.repo.find(type, filter, options);
  }

  count(type: string, filter: Filter<StoredDocument>) {
    return this.repo.count(type, filter);
  }

  maySearch(type: string): boolean {
    return this.repo.maySearch(type);
  }

  /** The query plan of a query exactly as the repository runs it (which index served it). */
  async explain(type: string, filter: Filter<StoredDocument>, options: SearchFindOptions): Promise<Record<string, unknown>> {
    const cursor = this.repo.find(type, filter, options);
    if (!(cursor instanceof FindCursor)) throw new Error(`the repository's ${type} search is not a plain cursor`);
    return (await cursor.explain()) as Record<string, unknown>;
  }
}

export interface TestDb {
  db: Db;
  store: TestStore;
  close(): Promise<void>;
}

export const BASE = 'http://fhir.test/fhir';

/** The search context of the server these tests stand for: R4's, US Core's and the project's parameters, at BASE. */
export const testSearch = new SearchContext({ baseUrl: BASE });

export async function openTestDb(): Promise<TestDb> {
  const engine = process.env.MONGODB_URI ? undefined : await startEmbeddedMongo({});
  const client = new MongoClient(process.env.MONGODB_URI ?? engine!.uri, { ignoreUndefined: true });
  await client.connect();
  const db = client.db(`search_test_${randomUUID().slice(0, 8)}`);
  const index = (resource: Resource) => buildSearchIndex(testSearch, resource);
  const system = new Repository({ client, db, index, ensureType: (type) => ensureIndexes(db, type) }, unrestrictedPolicy);
  return {
    db,
    store: new TestStore(system),
    async close() {
      if (process.env.MONGODB_URI) await db.dropDatabase();
      await client.close();
      await engine?.stop();
    },
  };
}

const ensured = new WeakMap<Db, Set<string>>();

async function ensureIndexes(db: Db, type: string): Promise<void> {
  let set = ensured.get(db);
  if (!set) ensured.set(db, (set = new Set()));
  if (set.has(type)) return;
  set.add(type);
  await db.collection(type).createIndexes([{ key: { lu: 1, _id: 1 }, name: 'lastUpdated' }, ...searchIndexSpecs(testSearch, type)]);
}

let clock = Date.UTC(2024, 0, 1);

/** Stores resources as the repository would (current version only), indexed by buildSearchIndex. */
export async function save(db: Db, ...resources: FhirResource[]): Promise<Resource[]> {
  const out: Resource[] = [];
  const byType = new Map<string, StoredDocument[]>();
  for (const input of resources) {
    const id = input.id ?? randomUUID();
    const lu = new Date((clock += 1000));
    const resource = { ...input, id, meta: { ...input.meta, versionId: '1', lastUpdated: lu.toISOString() } } as Resource;
    const { s, c } = buildSearchIndex(testSearch, resource);
    if (!byType.has(resource.resourceType)) byType.set(resource.resourceType, []);
    byType.get(resource.resourceType)!.push({ _id: id, vid: 1, lu, del: false, r: JSON.stringify(resource), s, c });
    out.push(resource);
  }
  for (const [type, docs] of byType) {
    await ensureIndexes(db, type);
    const ops = docs.map((doc) => ({ replaceOne: { filter: { _id: doc._id }, replacement: doc, upsert: true } }));
    await db.collection<StoredDocument>(type).bulkWrite(ops, { ordered: true });
  }
  return out;
}

export function context(overrides: Partial<ExecuteContext> = {}): ExecuteContext {
  return { baseUrl: BASE, defaultCount: 50, maxCount: 200, ...overrides };
}

/** Runs `GET [type]?query` and returns the bundle. */
export async function search(store: SearchStore, type: string | undefined, query: string, ctx: Partial<ExecuteContext> = {}, strict = false): Promise<Bundle> {
  const req = parseSearch(testSearch, type, [...new URLSearchParams(query)], { strict, systemTypes: ctx.systemTypes });
  return executeSearch(testSearch, store, req, context(ctx));
}

/** Ids of the `match` entries, in order. */
export function matchIds(bundle: Bundle): string[] {
  return (bundle.entry ?? []).filter((e) => e.search?.mode === 'match').map((e) => e.resource!.id!);
}

export function sortedMatchIds(bundle: Bundle): string[] {
  return matchIds(bundle).sort();
}

/**
 * Registers jest hooks for a suite over one database holding `resources`; the policy is reset after each test.
 * Returns a getter (the database opens in beforeAll).
 */
export function useTestDb(resources: () => FhirResource[]): () => TestDb {
  let t: TestDb | undefined;
  beforeAll(async () => {
    t = await openTestDb();
    await save(t.db, ...resources());
  });
  afterEach(() => {
    if (t) t.store.policy = undefined;
  });
  afterAll(() => t?.close());
  return () => t!;
}
