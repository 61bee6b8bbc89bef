import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hammer, type LoadResult } from './lib/load-gen';
import { freePort } from './lib/server-process';

export interface ReadRatioResult {
  fhir: LoadResult;
  bare: LoadResult;
  /** FHIR server requests/s as a share of the bare node:http server's, percent. */
  ratioPercent: number;
  bodyBytes: number;
}

/** Headers a client sees that the bare server should send as well (framing ones are its own). */
const KEPT_HEADERS = ['content-type', 'etag', 'last-modified', 'location', 'cache-control', 'vary'];

async function startBare(headers: Record<string, string>, body: string): Promise<{ url: string; stop(): void }> {
  const file = path.join(os.tmpdir(), `fhirstone-bare-${process.pid}.json`);
  writeFileSync(file, JSON.stringify({ headers, body }));
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(__dirname, 'lib', 'bare-server.js'), String(port), file], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bare server exited with ${code}`)));
    child.stdout!.once('data', () => resolve());
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

/**
 * Read by id (GET [base]/Patient/[id]) against the server, then the same client, connections and duration against
 * a bare node:http server answering the same bytes from memory: the ratio is the share of raw HTTP throughput the
 * FHIR layers keep.
 */
export async function benchReadRatio(opts: { baseUrl: string; path: string; connections: number; seconds: number }): Promise<ReadRatioResult> {
  const target = `${opts.baseUrl}/${opts.path}`;
  const res = await fetch(target, { headers: { accept: 'application/fhir+json' } });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`GET ${opts.path} answered ${res.status}: ${body.slice(0, 200)}`);
  const headers: Record<string, string> = {};
  for (const h of KEPT_HEADERS) {
    const v = res.headers.get(h);
    if (v) headers[h] = v;
  }
  const accept = { accept: 'application/fhir+json' };
  const fhir = await hammer({ url: target, connections: opts.connections, duration: opts.seconds, headers: accept });
  const bare = await startBare(headers, body);
  try {
    const bareResult = await hammer({ url: `${bare.url}/fhir/${opts.path}`, connections: opts.connections, duration: opts.seconds, headers: accept });
    return { fhir, bare: bareResult, ratioPercent: Math.round((fhir.requestsPerSecond / bareResult.requestsPerSecond) * 1000) / 10, bodyBytes: Buffer.byteLength(body) };
  } finally {
    bare.stop();
  }
}
