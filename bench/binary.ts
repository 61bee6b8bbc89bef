/**
 * Binary bench: a 1 GB file (100 MB with --quick) uploaded raw (`POST /fhir/Binary`) and downloaded raw over HTTP
 * from the real server in its own process: throughput each way, and the server's resident memory (VmRSS of
 * /proc/<pid>/status, sampled every 50 ms) before, at its peak during each transfer, and after. The bytes are checked
 * (SHA-1 both ways). On the embedded engine the stored GridFS chunks sit in the engine's memory (the same process)
 * until its data lives on disk, so RSS after the upload grows by about the file's size whatever the server streams;
 * the peak above that is what the server itself holds.
 *
 * Run alone:  npm run build && node dist/bench/binary.js [--quick]
 * In the suite: npm run bench -- --only binary
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startChildServer } from './lib/server-process';

const MB = 2 ** 20;

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

/** Samples the process's RSS until stopped; the highest seen. */
function sampler(pid: number) {
  let peak = rssMb(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, rssMb(pid));
  }, 50);
  return () => {
    clearInterval(timer);
    return Math.max(peak, rssMb(pid));
  };
}

/** `size` bytes in 1 MB pieces, each piece different (a counter in it), hashed as they are produced. */
function content(size: number, hash: ReturnType<typeof createHash>): ReadableStream<Uint8Array> {
  const piece = Buffer.alloc(MB);
  for (let i = 0; i < MB; i++) piece[i] = (i * 131 + 7) % 251;
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= size) return controller.close();
      const n = Math.min(MB, size - sent);
      const chunk = Buffer.from(piece.subarray(0, n));
      chunk.writeUInt32BE(sent / MB, 0);
      hash.update(chunk);
      sent += n;
      controller.enqueue(chunk);
    },
  });
}

export async function benchBinary(opts: { quick?: boolean } = {}): Promise<Record<string, unknown>> {
  const size = (opts.quick ? 100 : 1024) * MB;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fhirstone-bench-binary-'));
  const server = await startChildServer({ dataDir, env: { LOG_LEVEL: 'warn', BINARY_BODY_LIMIT: '4gb' } });
  try {
    await new Promise((r) => setTimeout(r, 2000));
    const before = rssMb(server.pid);

    const sent = createHash('sha1');
    let peak = sampler(server.pid);
    let start = performance.now();
    const up = await fetch(`${server.baseUrl}/Binary`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', accept: 'application/fhir+json' },
      body: content(size, sent),
      duplex: 'half',
    } as RequestInit);
    const uploadS = (performance.now() - start) / 1000;
    const created = (await up.json()) as { id?: string };
    const uploadPeak = peak();
    if (up.status !== 201 || !created.id) throw new Error(`upload answered ${up.status}: ${JSON.stringify(created)}`);
    await new Promise((r) => setTimeout(r, 2000));
    const afterUpload = rssMb(server.pid);

    const received = createHash('sha1');
    let bytes = 0;
    peak = sampler(server.pid);
    start = performance.now();
    const down = await fetch(`${server.baseUrl}/Binary/${created.id}`, { headers: { accept: 'application/octet-stream' } });
    if (down.status !== 200 || !down.body) throw new Error(`download answered ${down.status}`);
    for await (const chunk of down.body as unknown as AsyncIterable<Uint8Array>) {
      received.update(chunk);
      bytes += chunk.length;
    }
    const downloadS = (performance.now() - start) / 1000;
    const downloadPeak = peak();
    await new Promise((r) => setTimeout(r, 2000));
    const after = rssMb(server.pid);
    if (bytes !== size || received.digest('base64') !== sent.digest('base64')) throw new Error(`download differs: ${bytes} of ${size} bytes`);

    const mbps = (s: number) => Math.round((size / MB / s) * 10) / 10;
    return {
      fileMb: size / MB,
      uploadMbPerS: mbps(uploadS),
      downloadMbPerS: mbps(downloadS),
      rssMb: { before, peakDuringUpload: uploadPeak, afterUpload, peakDuringDownload: downloadPeak, after },
    };
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchBinary({ quick: process.argv.includes('--quick') }).then(
    (r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`),
    (err: unknown) => {
      process.stderr.write(`${String(err)}\n`);
      process.exit(1);
    },
  );
}
