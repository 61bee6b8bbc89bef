import { randomUUID } from 'node:crypto';
import type { AuditEvent, Bundle } from 'fhir/r4';
import { AuditCollection } from '../../src/store/audit-collection';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * Every audited request's AuditEvent is stored before its response is sent: a client that has its answer can read the
 * event at once, without anything flushing the trail first ($verify-chain would). When the event cannot be stored,
 * the request is answered 503 and nothing it would have disclosed is sent.
 */
const BALP_ENTITY = 'https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ BULK_EXPORT_POLL: '20ms' });
  await server.json('PUT', 'Patient/durable', { resourceType: 'Patient', id: 'durable', name: [{ family: 'Durable' }] });
});
afterAll(() => server.close());

/** Sends a request with a fresh X-Request-Id and reads its whole answer; returns the id and the status. */
async function request(path: string, init: RequestInit = {}): Promise<{ id: string; status: number; text: string }> {
  const id = `durable-${randomUUID()}`;
  const res = await server.api(path, { ...init, headers: { 'content-type': 'application/fhir+json', ...(init.headers ?? {}), 'x-request-id': id } });
  return { id, status: res.status, text: await res.text() };
}

/** The stored events recording the request `id` (by the BALP XrequestId entity), read with a plain search. */
async function eventsOf(id: string): Promise<AuditEvent[]> {
  const res = await server.json('GET', 'AuditEvent?_count=1000&_sort=-_lastUpdated');
  expect(res.status).toBe(200);
  return ((res.body as Bundle<AuditEvent>).entry ?? [])
    .map((e) => e.resource!)
    .filter((e) => e.entity?.some((x) => x.type?.system === BALP_ENTITY && x.what?.identifier?.value === id));
}

describe('the AuditEvent of a request', () => {
  it.each([
    ['a read', 'Patient/durable', {}, 200, 'read'],
    ['a write', 'Patient/durable-2', { method: 'PUT', body: JSON.stringify({ resourceType: 'Patient', id: 'durable-2' }) }, 201, 'update'],
    ['a search', 'Patient?family=Durable', {}, 200, 'search'],
    ['an operation', 'Patient/$validate', { method: 'POST', body: JSON.stringify({ resourceType: 'Patient' }) }, 200, 'operation'],
    ['a read of a missing resource', 'Patient/no-such-one', {}, 404, 'read'],
    ['a refused request', 'Patient/durable', { method: 'PATCH', body: '{}', headers: { 'content-type': 'text/plain' } }, 415, 'operation'],
  ] as const)('of %s is stored when its response arrives', async (_what, path, init, status, subtype) => {
    const sent = await request(path, init as RequestInit);
    expect(sent.status).toBe(status);
    const [event] = await eventsOf(sent.id);
    expect(event?.subtype?.[0]?.code).toBe(subtype);
    expect(event.outcomeDesc ?? 'HTTP 2xx').toMatch(new RegExp(`^HTTP ${status >= 400 ? status : '2xx'}`));
  });

  it('of a streamed download (an export file) is stored before its first byte', async () => {
    const kickoff = await server.api('Patient/$export?_type=Patient', { headers: { accept: 'application/fhir+json', prefer: 'respond-async' } });
    expect(kickoff.status).toBe(202);
    const status = kickoff.headers.get('content-location')!;
    let manifest: { output: Array<{ url: string }> } | undefined;
    for (let i = 0; i < 300 && !manifest; i++) {
      const res = await fetch(status);
      if (res.status === 200) manifest = (await res.json()) as typeof manifest;
      else await res.arrayBuffer().then(() => new Promise((r) => setTimeout(r, 50)));
    }
    const file = manifest!.output[0].url.slice(server.baseUrl.length + 1);
    const res = await server.api(file, { headers: { 'x-request-id': 'durable-download' } });
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    // The first byte is here; the event recording the download is stored already.
    expect(await eventsOf('durable-download')).toHaveLength(1);
    await reader.cancel();
  });

  it('that cannot be stored turns the answer into a 503 that discloses nothing; the event is stored later as not answered', async () => {
    const inserts = jest.spyOn(AuditCollection.prototype, 'insertAll').mockRejectedValueOnce(new Error('store unreachable'));
    const refused = await request('Patient/durable');
    inserts.mockRestore();
    expect(refused.status).toBe(503);
    expect(refused.text).not.toContain('Durable');
    expect(JSON.parse(refused.text)).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'transient' }] });
    // Kept queued, the event is written with the next request's (which waits for the write after the failed one).
    expect((await request('Patient/durable')).status).toBe(200);
    // (its description is sealed like any the server records: src/audit/query-text.ts)
    const [event] = await eventsOf(refused.id);
    expect(event).toMatchObject({ outcome: '8', outcomeDesc: expect.stringMatching(/^HTTP 503\b/) });
  });
});
