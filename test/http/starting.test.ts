import pino from 'pino';
import { startEmbeddedMongo } from '@fhirstone/embedded-mongo';
import { loadConfig } from '../../src/config';
import { startServer, type RunningServer } from '../../src/server';
import { defaultServices } from '../../src/services';

/**
 * The HTTP port is bound before the services have started (the base URL needs the port). A request that arrives in
 * that window is answered at once with 503 and Retry-After, not left hanging on a socket nobody serves.
 */
describe('a request during start-up', () => {
  it('gets 503 with an OperationOutcome and Retry-After until the services have started, then is served', async () => {
    const config = loadConfig({ PORT: '0', LOG_LEVEL: 'silent' });
    const services = await defaultServices(config, {});
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let listening!: (url: string) => void;
    const bound = new Promise<string>((r) => (listening = r));
    const original = services.start;
    services.start = async (core) => {
      listening(core.config.baseUrl as string);
      await gate;
      await original?.(core);
    };
    const starting: Promise<RunningServer> = startServer(config, services, { logger: pino({ level: 'silent' }), inMemory: true });
    const baseUrl = await bound;

    let early: { status: number; retryAfter: string | null; body: unknown } | Error;
    try {
      const res = await fetch(`${baseUrl}/metadata`, { signal: AbortSignal.timeout(3000) });
      early = { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
    } catch (err) {
      early = err as Error;
    } finally {
      release();
    }
    const server = await starting;
    try {
      expect(early).toMatchObject({ status: 503, retryAfter: '1', body: { resourceType: 'OperationOutcome', issue: [{ code: 'transient' }] } });
      const later = await fetch(`${baseUrl}/metadata`);
      expect(later.status).toBe(200);
      await later.arrayBuffer();
    } finally {
      await server.close();
    }
  });
});

describe('a request while the store loads', () => {
  it('finds the port bound and gets 503 (liveness 200 "starting", readiness 503) until the store has loaded', async () => {
    const config = loadConfig({ PORT: '0', LOG_LEVEL: 'info' });
    const services = await defaultServices(config, {});
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let bound!: (url: string) => void;
    const fhirBase = new Promise<string>((r) => (bound = r));
    const messages: string[] = [];
    const logger = pino(
      { level: 'info' },
      {
        write(line: string) {
          const entry = JSON.parse(line) as { msg: string; url?: string };
          messages.push(entry.msg);
          if (entry.msg.startsWith('port bound')) bound(entry.url as string);
        },
      },
    );
    // The engine is held back as a large store's load would hold it.
    const starting = startServer(config, services, {
      logger,
      inMemory: true,
      startEngine: async (options) => {
        await gate;
        return startEmbeddedMongo(options);
      },
    });
    const base = await fhirBase;
    const origin = new URL(base).origin;
    let seen: Array<{ status: number; retryAfter: string | null; cacheControl: string | null; nosniff: string | null; body: unknown }>;
    try {
      seen = await Promise.all(
        [`${base}/Patient`, `${origin}/healthz`, `${origin}/readyz`].map(async (u) => {
          const res = await fetch(u, { signal: AbortSignal.timeout(5000) });
          const h = res.headers;
          return {
            status: res.status,
            retryAfter: h.get('retry-after'),
            cacheControl: h.get('cache-control'),
            nosniff: h.get('x-content-type-options'),
            body: await res.json(),
          };
        }),
      );
    } finally {
      release();
    }
    const server = await starting;
    try {
      // Like every answer of the app (helmet): never cached, never sniffed.
      const safe = { cacheControl: 'no-store', nosniff: 'nosniff' };
      expect(seen).toMatchObject([
        { status: 503, retryAfter: '1', ...safe, body: { resourceType: 'OperationOutcome', issue: [{ code: 'transient' }] } },
        { status: 200, ...safe, body: { status: 'starting' } },
        { status: 503, retryAfter: '1', ...safe, body: { status: 'starting' } },
      ]);
      const bound = messages.indexOf('port bound: answering 503 until the store and services have started');
      const engineStarted = messages.indexOf('embedded MongoDB-compatible engine started');
      expect(bound).toBeGreaterThanOrEqual(0);
      expect(engineStarted).toBeGreaterThan(bound);
      expect((await fetch(`${origin}/readyz`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
