import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AccessPolicy } from '../auth/access-policy';
import { forbidden } from '../errors/operation-outcome-error';
import type { ServerMetrics } from './server-metrics';

/**
 * Who may read `/metrics` on the API's port: in protected mode anyone on loopback (as the API), otherwise a
 * backend client, with a token bound to no patient and no user that holds a `system/` scope. The metrics name no
 * patient, but they describe the whole server's traffic, which is nothing a patient's or a clinician's app needs.
 */
export function assertMayReadMetrics(policy: AccessPolicy): void {
  if (policy.unrestricted) return;
  const backend = policy.patientIds === undefined && policy.user === undefined && policy.scopes.some((s) => s.startsWith('system/'));
  if (!backend) throw forbidden('GET /metrics needs a backend client token (a system/ scope, no patient or user context)');
}

async function write(metrics: ServerMetrics, res: ServerResponse): Promise<void> {
  const text = await metrics.text();
  res.writeHead(200, { 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store' });
  res.end(text);
}

/** Answers a scrape of the API's `/metrics` after the caller's policy allowed it. */
export const answerScrape = write;

/**
 * `/metrics` on a port of its own (METRICS_PORT, on METRICS_HOST: loopback by default), without authentication:
 * the address is the protection, as for a Prometheus exporter on a private network. Nothing else is served there.
 */
export async function listenForScrapes(metrics: ServerMetrics, port: number, host: string): Promise<Server> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET' && (req.url ?? '').split('?')[0] === '/metrics') {
      write(metrics, res).catch(() => res.destroy());
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found: only GET /metrics is served here\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
