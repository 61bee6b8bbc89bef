/**
 * Binary bench: a 1 GB file (100 MB with --quick) uploaded raw (`POST /fhir/Binary`) and downloaded raw over HTTP
 * from the real server in its own process: throughput each way, and the server's resident memory before, at its peak
 * during each transfer, and after, from /proc/<pid>/status sampled every 50 ms, split as the kernel counts it:
 * RssAnon (heap, buffers, the engine's write sets: what the server and engine thread hold) and RssFile (pages of
 * mapped files: the embedded engine's lmdb store, which the kernel keeps or drops as memory allows, so a read of a
 * large file shows there without the process holding it). VmRSS is their sum with RssShmem. The bytes are checked
 * (SHA-1 both ways).
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

const FIELDS = { total: 'VmRSS', anon: 'RssAnon', file: 'RssFile' } as const;
type Memory = Record<keyof typeof FIELDS, number>;

/** The process's resident memory in MB: all of it, anonymous, file-backed. */
function memoryMb(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Math.round(Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024);
  return { total: field(FIELDS.total), anon: field(FIELDS.anon), file: field(FIELDS.file) };
}

/** Samples the process's memory until stopped; the highest of each figure seen (not necessarily at one moment). */
function sampler(pid: number) {
  let peak = memoryMb(pid);
  const sample = () => {
    const now = memoryMb(pid);
    peak = { total: Math.max(peak.total, now.total), anon: Math.max(peak.anon, now.anon), file: Math.max(peak.file, now.file) };
  };
  const timer = setInterval(sample, 50);
  return () => {
    clearInterval(timer);
    sample();
    return peak;
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
    const before = memoryMb(server.pid);

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
    const afterUpload = memoryMb(server.pid);

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
    const after = memoryMb(server.pid);
    if (bytes !== size || received.digest('base64') !== sent.digest('base64')) throw new Error(`download differs: ${bytes} of ${size} bytes`);

    const mbps = (s: number) => Math.round((size / MB / s) * 10) / 10;
    return {
      fileMb: size / MB,
      uploadMbPerS: mbps(uploadS),
      downloadMbPerS: mbps(downloadS),
      memoryMb: { before, peakDuringUpload: uploadPeak, afterUpload, peakDuringDownload: downloadPeak, after },
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
