import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { loadConfig } from '../../src/config';
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
