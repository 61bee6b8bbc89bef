import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import express from 'express';
import pino from 'pino';
import { loadConfig } from '../../src/config';
import { requestIds } from '../../src/http/request-id';
import { requestLog } from '../../src/http/request-log';
import { startServer, type RunningServer } from '../../src/server';
import { defaultServices } from '../../src/services';

/** Every line the server logs, parsed. */
const lines: Array<Record<string, any>> = [];
let server: RunningServer;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const config = loadConfig({
    PORT: '0',
    MONGODB_URI: process.env.MONGODB_URI ?? '',
    MONGODB_DB: `log_${process.pid}`,
    DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'fhirstone-log-')),
  });
  server = await startServer(config, await defaultServices(config), { inMemory: true, logger: pino({ level: 'info' }, sink) });
});
afterAll(async () => {
  await server.close();
});

const requestLines = (url: string) => lines.filter((l) => l.req?.url === url);

/** The log line is written when the response finishes, which may be just after the client has it. */
async function loggedLines(url: string): Promise<Array<Record<string, any>>> {
  for (let i = 0; i < 100 && requestLines(url).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  return requestLines(url);
}

describe('request logging', () => {
  it('writes one JSON line per request with method, URL, status and duration', async () => {
    await fetch(`${server.baseUrl}/Patient/log-missing`);
    const [line, ...more] = await loggedLines('/fhir/Patient/log-missing');
    expect(more).toHaveLength(0);
    expect(line).toMatchObject({ req: { method: 'GET', url: '/fhir/Patient/log-missing' }, res: { statusCode: 404 } });
    expect(typeof line.responseTime).toBe('number');
  });

  it('does not log request bodies or authorization headers', async () => {
    await fetch(`${server.baseUrl}/Patient`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json', authorization: 'Bearer secret-token-value' },
      body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Confidential-Family-Name' }] }),
    });
    const logged = await loggedLines('/fhir/Patient');
    expect(logged).toHaveLength(1);
    const text = JSON.stringify(logged);
    expect(text).not.toMatch(/secret-token-value|Confidential-Family-Name/);
  });

  it('keeps search parameter names but not their values (they are often patient details)', async () => {
    await fetch(`${server.baseUrl}/Patient?family=Secret-Surname&birthdate=1970-01-01`);
    const logged = await loggedLines('/fhir/Patient?family=…&birthdate=…');
    expect(logged).toHaveLength(1);
    expect(JSON.stringify(lines)).not.toMatch(/Secret-Surname|1970-01-01/);
  });
});

describe('request log middleware', () => {
  it('logs a 5xx at error level with an err, and a response cut short by its client once', async () => {
    const logged: Array<Record<string, any>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logged.push(JSON.parse(chunk.toString()));
        done();
      },
    });
    const app = express();
    app.use(requestIds());
    app.use(requestLog(pino({ level: 'info' }, sink)));
    app.get('/fails', (_req, res) => void res.status(503).end());
    app.get('/hangs', () => undefined);
    const http = app.listen(0, '127.0.0.1');
    await new Promise((r) => http.once('listening', r));
    const { port } = http.address() as AddressInfo;
    let failedId: string | null | undefined;
    try {
      failedId = (await fetch(`http://127.0.0.1:${port}/fails`)).headers.get('x-request-id');
      await fetch(`http://127.0.0.1:${port}/hangs?name=x`, { signal: AbortSignal.timeout(100) }).catch(() => undefined);
      for (let i = 0; i < 100 && logged.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    } finally {
      http.closeAllConnections();
      http.close();
    }
    expect(logged).toHaveLength(2);
    expect(logged[0]).toMatchObject({ level: 50, req: { method: 'GET', url: '/fails' }, res: { statusCode: 503 }, msg: 'request errored' });
    expect(logged[0].err.message).toBe('failed with status code 503');
    expect(logged[1]).toMatchObject({ level: 30, req: { url: '/hangs?name=…' }, msg: 'request completed' });
    expect(logged[0].requestId).toBe(failedId);
    expect(logged[1].requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(logged[1].requestId).not.toBe(logged[0].requestId);
  });
});
