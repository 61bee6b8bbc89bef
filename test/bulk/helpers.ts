import type { Resource } from 'fhir/r4';
import { unrestrictedPolicy, type AccessPolicy } from '../../src/auth/access-policy';
import { unauthorized } from '../../src/errors/operation-outcome-error';
import { bulkConfigFromEnv, bulkExportServices, searchFilterCompiler, type BulkDeps } from '../../src/bulk';
import { jobServices, type WorkerHooks } from '../../src/jobs';
import pino from 'pino';
import { loadConfig } from '../../src/config';
import { SEARCH_INDEX_FORMAT, SearchContext, createSearchApi, buildSearchIndex, searchIndexSpecs } from '../../src/search';
import { startServer, type RunningServer, type Services } from '../../src/server';
import { withServerMeta } from '../../src/store/resource-text';
import { historyCollectionName, type HistoryDocument, type StoredDocument } from '../../src/store/stored-document';

export interface BulkTestServer extends RunningServer {
  /** fetch relative to the FHIR base: `api('Patient/1')`. */
  api(path: string, init?: RequestInit): Promise<Response>;
  /** Kick-off with Prefer: respond-async; returns the raw response. */
  kickoff(path: string, init?: { method?: string; body?: unknown; headers?: Record<string, string>; token?: string }): Promise<Response>;
  /** Polls the status URL until it is no longer 202; returns the final response and its parsed body. */
  waitDone(statusUrl: string, token?: string): Promise<{ status: number; body: any; headers: Headers }>;
  /** Downloads an output file's lines, parsed. */
  lines(url: string, token?: string): Promise<any[]>;
  /**
   * Inserts resources straight into the store (current + history), far faster than the API for big data sets.
   * `searchable: false` skips the search index (only the compartment is computed), for exports without filters.
   */
  seed(resources: Resource[], at?: Date, opts?: { searchable?: boolean }): Promise<void>;
}

/** Tokens of the test server's `authenticate`: `Bearer <name>` maps to the policy registered under that name. */
export type Policies = Record<string, AccessPolicy>;

export function policy(p: Partial<AccessPolicy> & { types?: string[] }): AccessPolicy {
  const { types, ...rest } = p;
  return {
    scopes: [],
    unrestricted: false,
    // Every token is verified against an issuer; the bulk tests' tokens all come from one.
    issuer: 'https://issuer.test',
    allows: (type) => !types || types.includes(type),
    searchRestrictions: () => undefined,
    ...rest,
  };
}

export async function startBulkServer(
  env: Record<string, string> = {},
  opts: { policies?: Policies; hooks?: WorkerHooks; compileFilter?: BulkDeps['compileFilter'] } = {},
): Promise<BulkTestServer> {
  const authenticate = async (header: string | undefined): Promise<AccessPolicy> => {
    if (!opts.policies) return unrestrictedPolicy;
    const name = header?.replace(/^Bearer\s+/i, '') ?? '';
    const p = opts.policies[name];
    if (!p) throw unauthorized('unknown test token');
    return p;
  };
  const searchContext = new SearchContext();
  const bulkConfig = bulkConfigFromEnv({ BULK_EXPORT_POLL: '20ms', ...env });
  const jobs = jobServices(bulkConfig, { hooks: opts.hooks, requiresAccessToken: () => opts.policies !== undefined });
  const bulk = bulkExportServices(bulkConfig, { jobs, compileFilter: opts.compileFilter ?? searchFilterCompiler(searchContext) });
  // The server with only the layers an export needs (search for _typeFilter, bulk), independent of the rest of
  // the production wiring; validation accepts everything, as export tests are not about validation.
  let search: ReturnType<typeof createSearchApi> | undefined;
  const services: Services = {
    index: (resource) => buildSearchIndex(searchContext, resource),
    searchIndexSpecs: (type) => searchIndexSpecs(searchContext, type),
    indexFormat: SEARCH_INDEX_FORMAT,
    get search() {
      return search as ReturnType<typeof createSearchApi>;
    },
    validation: { assertValid: async () => [] },
    capabilities: { searchParams: () => [], supportedProfiles: () => [] },
    authenticate,
    operations: bulk.operations,
    routes: jobs.routes,
    async start(core) {
      searchContext.listensAt(core.config.baseUrl);
      search = createSearchApi(searchContext, { defaultCount: 20, maxCount: 1000 });
      await jobs.start(core);
    },
    stop: jobs.stop,
  };
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    MONGODB_URI: process.env.MONGODB_URI ?? '',
    MONGODB_DB: `bulk_${process.pid}_${Math.random().toString(36).slice(2, 8)}`,
    ...env,
  });
  const running = await startServer(config, services, { inMemory: !env.DATA_DIR, logger: pino({ level: 'silent' }) });
  const server = Object.assign(running, { api: (path: string, init?: RequestInit) => fetch(`${running.baseUrl}/${path}`, init) });
  const auth = (token?: string): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});

  const kickoff: BulkTestServer['kickoff'] = (path, init = {}) =>
    server.api(path, {
      method: init.method ?? (init.body ? 'POST' : 'GET'),
      headers: {
        accept: 'application/fhir+json',
        prefer: 'respond-async',
        ...(init.body ? { 'content-type': 'application/fhir+json' } : {}),
        ...auth(init.token),
        ...init.headers,
      },
      body: init.body ? JSON.stringify(init.body) : undefined,
    });

  const waitDone: BulkTestServer['waitDone'] = async (url, token) => {
    for (;;) {
      const res = await fetch(url, { headers: { accept: 'application/json', ...auth(token) } });
      if (res.status !== 202) {
        const text = await res.text();
        return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
      }
      await res.arrayBuffer();
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  const lines: BulkTestServer['lines'] = async (url, token) => {
    const res = await fetch(url, { headers: auth(token) });
    if (res.status !== 200) throw new Error(`download ${url}: ${res.status} ${await res.text()}`);
    const text = await res.text();
    return text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  };

  const seed: BulkTestServer['seed'] = async (resources, at = new Date(), { searchable = true } = {}) => {
    const byType = new Map<string, Resource[]>();
    for (const r of resources) byType.set(r.resourceType, [...(byType.get(r.resourceType) ?? []), r]);
    for (const [type, list] of byType) {
      await server.store.ensureType(type);
      const docs: StoredDocument[] = list.map((r) => {
        const full = withServerMeta(r, r.id as string, 1, at);
        const { s, c } = searchable ? buildSearchIndex(searchContext, full) : { s: undefined, c: compartmentsOf(full) };
        return { _id: r.id as string, vid: 1, lu: at, del: false, r: JSON.stringify(full), s, c };
      });
      for (let i = 0; i < docs.length; i += 1000) {
        const batch = docs.slice(i, i + 1000);
        await server.store.db.collection<StoredDocument>(type).insertMany(batch);
        const history: HistoryDocument[] = batch.map((d) => ({ _id: `${d._id}/1`, id: d._id, vid: 1, lu: d.lu, del: false, op: 'create', r: d.r, c: d.c }));
        await server.store.db.collection<HistoryDocument>(historyCollectionName(type)).insertMany(history);
      }
    }
  };

  return Object.assign(server, { kickoff, waitDone, lines, seed });
}

/** Compartments of the test resources (a Patient's own, an Observation's subject), without the search index. */
function compartmentsOf(r: Resource): string[] {
  if (r.resourceType === 'Patient') return [`Patient/${r.id}`];
  const subject = (r as { subject?: { reference?: string } }).subject?.reference;
  return subject?.startsWith('Patient/') ? [subject] : [];
}

export const patient = (id: string, family = 'Test'): Resource => ({ resourceType: 'Patient', id, name: [{ family }] }) as Resource;
export const observation = (id: string, patientId: string, code = '1234-5', status = 'final'): Resource =>
  ({
    resourceType: 'Observation',
    id,
    status,
    code: { coding: [{ system: 'http://loinc.org', code }] },
    subject: { reference: `Patient/${patientId}` },
  }) as Resource;

/** A deferred the tests resolve to let a paused export job go on. */
export function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

/** Waits (up to 10 s) until `check` holds, then asserts it. */
export async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500 && !(await check()); i++) await new Promise((r) => setTimeout(r, 20));
  expect(await check()).toBe(true);
}
