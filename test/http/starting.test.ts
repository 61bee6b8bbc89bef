import pino from 'pino';
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
