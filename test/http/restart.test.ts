import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config';
import { startServer, type RunningServer } from '../../src/server';
import { defaultServices } from '../../src/services';

/**
 * A server on durable storage: the embedded engine writing to `dataDir` (not in memory), or, when MONGODB_URI is
 * set, the same MongoDB database each time.
 */
async function startDurable(dataDir: string, dbName: string): Promise<RunningServer> {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    DATA_DIR: dataDir,
    MONGODB_URI: process.env.MONGODB_URI ?? '',
    MONGODB_DB: dbName,
    EMBEDDED_FSYNC: 'always',
  });
  return startServer(config, await defaultServices(config), { inMemory: false, logger: pino({ level: 'silent' }) });
}

async function call(server: RunningServer, method: string, p: string, body?: unknown) {
  const res = await fetch(`${server.baseUrl}/${p}`, {
    method,
    headers: { 'content-type': 'application/fhir+json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe('data survives a restart', () => {
  let dataDir: string;
  const dbName = `restart_${process.pid}`;

  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'fhir-restart-'));
  });
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps resources, their versions, deletions and history across a stop and start', async () => {
    const first = await startDurable(dataDir, dbName);
    let createdId: string;
    try {
      createdId = (await call(first, 'POST', 'Patient', { resourceType: 'Patient', gender: 'female' })).body.id;
      await call(first, 'PUT', 'Patient/durable', { resourceType: 'Patient', id: 'durable', gender: 'male' });
      await call(first, 'PUT', 'Patient/durable', { resourceType: 'Patient', id: 'durable', gender: 'female' });
      await call(first, 'PUT', 'Observation/durable-gone', { resourceType: 'Observation', id: 'durable-gone', status: 'final', code: { text: 'x' } });
      await call(first, 'DELETE', 'Observation/durable-gone');
    } finally {
      await first.close();
    }

    const second = await startDurable(dataDir, dbName);
    try {
      expect((await call(second, 'GET', `Patient/${createdId}`)).body.gender).toBe('female');
      const durable = await call(second, 'GET', 'Patient/durable');
      expect([durable.status, durable.body.meta.versionId, durable.body.gender]).toEqual([200, '2', 'female']);
      expect((await call(second, 'GET', 'Patient/durable/_history/1')).body.gender).toBe('male');
      expect((await call(second, 'GET', 'Observation/durable-gone')).status).toBe(410);
      expect((await call(second, 'GET', 'Patient/durable/_history')).body.entry).toHaveLength(2);
      // Writing after the restart continues the version count instead of starting over.
      const next = await call(second, 'PUT', 'Patient/durable', { resourceType: 'Patient', id: 'durable' });
      expect([next.status, next.body.meta.versionId]).toEqual([200, '3']);
      // System history on the restarted server still sees the types written before the restart (the audit trail
      // adds AuditEvents of its own).
      const system = await call(second, 'GET', '_history?_count=1000');
      const types = new Set(system.body.entry.map((e: any) => e.fullUrl.split('/').slice(-2)[0]));
      expect([...types].filter((t) => t !== 'AuditEvent').sort()).toEqual(['Observation', 'Patient']);
    } finally {
      await second.close();
    }
  });

  it('lets a request in flight when the server closes finish with its answer, and its data is there after a restart', async () => {
    const first = await startDurable(dataDir, dbName);
    const entries = Array.from({ length: 200 }, (_, i) => ({
      resource: { resourceType: 'Patient', id: `inflight-${i}` },
      request: { method: 'PUT', url: `Patient/inflight-${i}` },
    }));
    const body = JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: entries });
    // Expect: 100-continue: the server says it has the request (headers read, handler called) before the body is sent.
    const req = http.request(`${first.baseUrl}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json', 'content-length': Buffer.byteLength(body), expect: '100-continue' },
    });
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      req.on('response', (res) => {
        let text = '';
        res
          .setEncoding('utf8')
          .on('data', (c: string) => (text += c))
          .on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
    });
    await new Promise((resolve) => req.once('continue', resolve));
    const closed = first.close();
    req.end(body);
    const { status, text } = await answer;
    await closed;
    expect(status).toBe(200);
    expect(JSON.parse(text).entry).toHaveLength(200);

    const second = await startDurable(dataDir, dbName);
    try {
      expect((await call(second, 'GET', 'Patient?_id=inflight-0,inflight-199&_summary=count')).body.total).toBe(2);
    } finally {
      await second.close();
    }
  });

  it('cuts a request still unfinished after the grace period, so closing always ends', async () => {
    const server = await startDurable(dataDir, dbName);
    const req = http.request(`${server.baseUrl}/Patient`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json', 'content-length': 1000, expect: '100-continue' },
    });
    const cut = new Promise((resolve) => req.once('error', resolve));
    await new Promise((resolve) => req.once('continue', resolve));
    req.write('{"resourceType":'); // and never the rest
    await server.close(100);
    await expect(cut).resolves.toMatchObject({ code: 'ECONNRESET' });
  });
});
