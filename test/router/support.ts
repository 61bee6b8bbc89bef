import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { startTestServer, type TestServer } from '../helpers/server';

/** What `TestServer.json` answers. */
export type JsonResponse = { status: number; headers: Headers; body: any };

/** A fresh identifier system per call, so tests sharing one server never match each other's resources. */
export function uniqueSystem(): string {
  return `urn:uuid:${randomUUID()}`;
}

export function patient(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { resourceType: 'Patient', name: [{ family: 'Chalmers', given: ['Peter'] }], gender: 'male', ...fields };
}

/** The version number of a `W/"n"` ETag header; fails the test on any other shape. */
export function etagVersion(res: { headers: Headers }): number {
  const etag = res.headers.get('etag');
  const m = /^W\/"(\d+)"$/.exec(etag ?? '');
  if (!m) throw new Error(`expected a weak ETag W/"n", got ${etag}`);
  return Number(m[1]);
}

/**
 * Asserts an error answer: the given status and an OperationOutcome with at least one issue of severity error or
 * fatal, and nothing that looks like a leaked stack trace.
 */
export function expectOutcome(res: JsonResponse, status: number, code?: string): void {
  expect({ status: res.status, resourceType: res.body?.resourceType }).toEqual({ status, resourceType: 'OperationOutcome' });
  const issues = res.body.issue as Array<{ severity: string; code: string; diagnostics?: string }>;
  expect(issues.length).toBeGreaterThan(0);
  expect(issues.some((i) => i.severity === 'error' || i.severity === 'fatal')).toBe(true);
  if (code) expect(issues.map((i) => i.code)).toContain(code);
  expect(JSON.stringify(res.body)).not.toMatch(/\n\s+at |\.ts:\d+|node_modules/);
}

/** Creates a resource with a client-chosen id via PUT and returns the stored copy. */
export async function put(server: TestServer, resource: Record<string, unknown>) {
  if (typeof resource.resourceType !== 'string' || typeof resource.id !== 'string') throw new Error('put needs resourceType and id');
  const res = await server.json('PUT', `${resource.resourceType}/${resource.id}`, resource);
  if (res.status !== 200 && res.status !== 201) throw new Error(`PUT failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as Record<string, any>;
}

/** GETs an absolute URL the server issued (a `next` link) as JSON. */
export async function getAbsolute(url: string): Promise<JsonResponse> {
  const res = await fetch(url, { headers: { accept: 'application/fhir+json' } });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

/** Every entry of a paged Bundle, following `next` links from the first page; also returns the page count. */
export async function allPages(server: TestServer, path: string): Promise<{ entries: any[]; pages: number }> {
  let res = await server.json('GET', path);
  const entries: any[] = [];
  let pages = 0;
  for (;;) {
    expect(res.status).toBe(200);
    pages++;
    entries.push(...(res.body.entry ?? []));
    const next = (res.body.link as Array<{ relation: string; url: string }>).find((l) => l.relation === 'next');
    if (!next) return { entries, pages };
    if (pages > 1000) throw new Error('paging does not end');
    res = await getAbsolute(next.url);
  }
}

/**
 * One real server for the whole test file (started in beforeAll, closed in afterAll). Returns a getter, as the
 * server exists only once beforeAll has run.
 */
export function serverForThisFile(env: Record<string, string> = {}): () => TestServer {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startTestServer(env);
  });
  afterAll(async () => {
    await server?.close();
  });
  return () => {
    if (!server) throw new Error('the test server has not started');
    return server;
  };
}

/** A request sent with its path exactly as given: fetch would normalise `Patient/..` away before sending. */
export function rawRequest(server: TestServer, method: string, path: string, body?: unknown): Promise<JsonResponse> {
  const url = new URL(server.baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, method, path: `${url.pathname}/${path}`, headers: { 'content-type': 'application/fhir+json' } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: new Headers(), body: text ? JSON.parse(text) : undefined }));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
