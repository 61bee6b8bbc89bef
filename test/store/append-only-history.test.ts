import type { AuditEvent, BundleEntry } from 'fhir/r4';
import { currentFilter } from '../../src/store/append-only-history';
import type { HistoryDocument } from '../../src/store/stored-document';
import { A, B, type Caller, type SecureServer, expectOutcome, refsOf, startWithTwoPatients } from '../security/support';

/**
 * An append-only type (AuditEvent) keeps no history collection: an event is created once and never rewritten, so
 * vread and `_history` answer from the event itself as version 1, created, with the entries, paging and access
 * bounds of any other type's history.
 */
let server: SecureServer;
let patientA: Caller;
beforeAll(async () => ({ server, patientA } = await startWithTwoPatients()));
afterAll(() => server.close());

/** Every stored AuditEvent, once the trail's queue is drained ($verify-chain waits for it). */
async function trail(): Promise<AuditEvent[]> {
  expect((await server.system.json('GET', 'AuditEvent/$verify-chain')).status).toBe(200);
  const res = await server.system.json('GET', 'AuditEvent?_count=1000');
  expect(res.status).toBe(200);
  return (res.body.entry ?? []).map((e: { resource: AuditEvent }) => e.resource);
}

/** Every entry of a history, following `next` links with the caller's token. */
async function allPages(caller: Caller, path: string): Promise<BundleEntry[]> {
  const entries: BundleEntry[] = [];
  for (let next: string | undefined = path, pages = 0; next; pages++) {
    if (pages > 500) throw new Error('paging does not end');
    const res = await caller.json('GET', next);
    expect(res.status).toBe(200);
    entries.push(...(res.body.entry ?? []));
    const link = (res.body.link as Array<{ relation: string; url: string }>).find((l) => l.relation === 'next');
    next = link?.url.slice(server.baseUrl.length + 1);
  }
  return entries;
}

const idOf = (e: BundleEntry) => e.fullUrl!.split('/').pop()!;
const time = (e: BundleEntry) => Date.parse(e.response!.lastModified!);
/** The order of every history: newest first, then by id, descending. */
const inHistoryOrder = (entries: BundleEntry[]) =>
  entries.every((e, i) => i === 0 || time(entries[i - 1]) > time(e) || (time(entries[i - 1]) === time(e) && idOf(entries[i - 1]) > idOf(e)));

/** The one history entry of a stored event: its creation. */
const creationOf = (event: AuditEvent): BundleEntry => ({
  fullUrl: `${server.baseUrl}/AuditEvent/${event.id}`,
  resource: event,
  request: { method: 'POST', url: 'AuditEvent' },
  response: { status: '201 Created', etag: 'W/"1"', lastModified: event.meta!.lastUpdated },
});

describe('history of an append-only type', () => {
  it('serves AuditEvent vread and history from the event itself, with no history row written', async () => {
    const [event] = await trail();
    const read = await server.system.json('GET', `AuditEvent/${event.id}`);
    const vread = await server.system.json('GET', `AuditEvent/${event.id}/_history/1`);
    expect(vread.status).toBe(200);
    expect(vread.body).toEqual(read.body);
    expect(vread.headers.get('etag')).toBe('W/"1"');
    expect(vread.headers.get('last-modified')).toBe(read.headers.get('last-modified'));
    expectOutcome(await server.system.json('GET', `AuditEvent/${event.id}/_history/2`), 404, 'not-found');

    const instance = await server.system.json('GET', `AuditEvent/${event.id}/_history`);
    expect(instance.status).toBe(200);
    expect(instance.body.entry).toEqual([creationOf(read.body)]);
    expectOutcome(await server.system.json('GET', 'AuditEvent/audit-0000009999999999/_history'), 404, 'not-found');

    const collections = await server.store.db.listCollections({ name: 'AuditEvent_history' }).toArray();
    expect(collections).toEqual([]);
  });

  it('pages type history newest first over exactly the stored events, each as its creation', async () => {
    const events = await trail();
    const until = Math.max(...events.map((e) => Date.parse(e.meta!.lastUpdated!)));
    // Every request adds an event, newer than those listed: the pages below end with the ones stored before.
    const history = await allPages(server.system, 'AuditEvent/_history?_count=7');
    expect(inHistoryOrder(history)).toBe(true);
    expect(new Set(history.map(idOf)).size).toBe(history.length);
    const stored = history.filter((e) => time(e) <= until);
    expect(stored).toEqual([...stored].map((e) => creationOf(e.resource as AuditEvent)));
    expect(stored.map(idOf).sort()).toEqual(events.map((e) => e.id).sort());

    const since = await server.system.json('GET', `AuditEvent/_history?_since=${new Date(until).toISOString()}&_count=1000`);
    const sinceEntries: BundleEntry[] = since.body.entry;
    expect(sinceEntries.every((e) => time(e) >= until)).toBe(true);
    expect(sinceEntries.map(idOf)).toEqual(expect.arrayContaining(events.filter((e) => Date.parse(e.meta!.lastUpdated!) === until).map((e) => e.id)));
  });

  it('lists AuditEvents in the system history as in their own', async () => {
    const [event] = await trail();
    const system = await server.system.json('GET', '_history?_count=1000');
    expect(system.status).toBe(200);
    expect(system.body.entry.find((e: BundleEntry) => e.fullUrl === `${server.baseUrl}/AuditEvent/${event.id}`)).toEqual(creationOf(event));
  });

  it('answers from the event, not from an AuditEvent_history an older version left behind (which stays)', async () => {
    const [event] = await trail();
    const old = server.store.db.collection<HistoryDocument>('AuditEvent_history');
    await old.insertOne({ _id: `${event.id}/1`, id: event.id!, vid: 1, lu: new Date(0), del: false, op: 'create', r: '{"resourceType":"AuditEvent"}' });
    try {
      expect((await server.system.json('GET', `AuditEvent/${event.id}/_history/1`)).body).toEqual(event);
      expect((await server.system.json('GET', `AuditEvent/${event.id}/_history`)).body.entry).toEqual([creationOf(event)]);
      expect(await old.countDocuments()).toBe(1);
    } finally {
      await old.drop();
    }
  });

  it('shows a patient token only the AuditEvents naming no patient but its own, in history as in search', async () => {
    await server.system.json('GET', `Patient/${B}`);
    await server.system.json('GET', `Patient?_id=${A},${B}`);
    const events = await trail();
    const searched = refsOf((await patientA.json('GET', 'AuditEvent?_count=1000')).body);
    const history = await patientA.json('GET', 'AuditEvent/_history?_count=1000');
    expect(history.status).toBe(200);
    const seen: string[] = refsOf(history.body);
    expect(seen.length).toBeGreaterThan(0);
    // Search and history may differ by the events of the calls in between: compare the ones stored before both.
    const before = new Set(events.map((e) => `AuditEvent/${e.id}`));
    expect(seen.filter((r) => before.has(r)).sort()).toEqual(searched.filter((r) => before.has(r)).sort());
    const foreign = events.filter((e) => JSON.stringify(e.entity ?? []).includes(`Patient/${B}`));
    expect(foreign.length).toBeGreaterThan(0);
    expect(seen.filter((r) => foreign.some((e) => r === `AuditEvent/${e.id}`))).toEqual([]);
    expectOutcome(await patientA.json('GET', `AuditEvent/${foreign[0].id}/_history/1`), 404, 'not-found');
    expectOutcome(await patientA.json('GET', `AuditEvent/${foreign[0].id}/_history`), 404, 'not-found');
  });
});

describe('currentFilter (a history filter on the current documents)', () => {
  it('reads a version key as the id and version, and a key bound as the id bound', () => {
    expect(currentFilter({ _id: 'e1/1' })).toEqual({ _id: 'e1', vid: 1 });
    expect(currentFilter({ id: 'e1', lu: { $lte: new Date(0) } })).toEqual({ $and: [{ _id: 'e1' }, { lu: { $lte: new Date(0) } }] });
    expect(currentFilter({ $or: [{ lu: new Date(0), _id: { $lt: 'e9/1' } }] })).toEqual({
      $or: [{ $and: [{ lu: new Date(0) }, { _id: { $lt: 'e9' } }] }],
    });
  });

  it('refuses a filter it cannot translate rather than answer it wrongly', () => {
    expect(() => currentFilter({ op: 'update' })).toThrow(/append-only/);
  });
});
