import { Writable } from 'node:stream';
import type { AuditEvent } from 'fhir/r4';
import express from 'express';
import pino from 'pino';
import { requestIdMixin, requestIds } from '../../src/http/request-id';
import { startTestServer, type TestServer } from '../helpers/server';

const BALP_ENTITY = 'https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let server: TestServer;
beforeAll(async () => (server = await startTestServer()));
afterAll(() => server.close());

/** The X-Request-Id the server answered a read of `Patient/{id}` with, for the `X-Request-Id` sent (if any). */
async function idOf(sent?: string): Promise<string | null> {
  const res = await server.api('Patient/request-id-missing', sent === undefined ? {} : { headers: { 'X-Request-Id': sent } });
  await res.arrayBuffer();
  return res.headers.get('x-request-id');
}

/** The request ids recorded in the audit trail, as IHE BALP's XrequestId entities. */
async function auditedRequestIds(): Promise<string[]> {
  expect((await server.json('GET', 'AuditEvent/$verify-chain')).status).toBe(200);
  const res = await server.json('GET', 'AuditEvent?_count=1000');
  const events: AuditEvent[] = (res.body.entry ?? []).map((e: { resource: AuditEvent }) => e.resource);
  return events.flatMap((e) => (e.entity ?? []).filter((x) => x.type?.system === BALP_ENTITY && x.type.code === 'XrequestId').map((x) => x.what!.identifier!.value!));
}

describe('X-Request-Id', () => {
  it('answers every request with a new UUID when the client sent none', async () => {
    const [a, b] = [await idOf(), await idOf()];
    expect(a).toMatch(UUID);
    expect(b).toMatch(UUID);
    expect(a).not.toBe(b);
  });

  it("keeps the client's id when it is a plausible one (letters, digits and ._:-, up to 128)", async () => {
    expect(await idOf('lb-7f3a.9:trace_01')).toBe('lb-7f3a.9:trace_01');
    const longest = 'a'.repeat(128);
    expect(await idOf(longest)).toBe(longest);
  });

  it('replaces an id it would not put into headers, logs and the audit trail', async () => {
    for (const bad of ['has space', 'quote"d', 'a'.repeat(129), '']) expect(await idOf(bad)).toMatch(UUID);
  });

  it('is recorded in the AuditEvent of the request, as IHE BALP records it', async () => {
    const sent = `audit-${Date.now()}`;
    await idOf(sent);
    const generated = await idOf();
    const recorded = await auditedRequestIds();
    expect(recorded).toContain(sent);
    expect(recorded).toContain(generated);
  });

  it('is on health endpoints too, which are not audited', async () => {
    const res = await fetch(`${server.url}/healthz`, { headers: { 'X-Request-Id': 'probe-1' } });
    expect(res.headers.get('x-request-id')).toBe('probe-1');
  });
});

describe('requestIdMixin', () => {
  it('puts the id of the request being worked on into every line logged for it, and none outside', async () => {
    const logged: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logged.push(JSON.parse(chunk.toString()));
        done();
      },
    });
    const logger = pino({ level: 'info', mixin: requestIdMixin }, sink);
    const app = express();
    app.use(requestIds());
    app.get('/work', async (_req, res) => {
      await new Promise((r) => setTimeout(r, 5));
      logger.info('inside, after an await');
      res.end();
    });
    const http = app.listen(0, '127.0.0.1');
    await new Promise((r) => http.once('listening', r));
    try {
      const port = (http.address() as { port: number }).port;
      await (await fetch(`http://127.0.0.1:${port}/work`, { headers: { 'X-Request-Id': 'mixin-1' } })).arrayBuffer();
      logger.info('outside');
    } finally {
      http.close();
    }
    expect(logged.map((l) => [l.msg, l.requestId])).toEqual([
      ['inside, after an await', 'mixin-1'],
      ['outside', undefined],
    ]);
  });
});
