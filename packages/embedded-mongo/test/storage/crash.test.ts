import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { startEmbeddedMongo } from '../../src';

const internal = process.env.MONGODB_URI ? describe.skip : describe;

/** Runs the writer child until it has acknowledged `acks` writes, then kills it with SIGKILL. */
function runAndKill(dir: string, acks: number, fsync: string): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, '../fixtures/crash-writer.js'), dir, fsync], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: number[] = [];
    let buffered = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const l of lines) if (/^\d+$/.test(l)) acked.push(Number(l));
      if (acked.length >= acks && !child.killed) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`writer exited with ${code}: ${stderr}`));
    });
  });
}

internal('crash safety', () => {
  // Every policy writes the record before acknowledging; they differ only in when the OS is told to fsync.
  it.each(['always', 'batch'])('keeps every acknowledged write after kill -9, and nothing half-written (fsync %s)', async (fsync) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emb-crash-'));
    const acked = await runAndKill(dir, 400, fsync);
    // The killed child's lock is stale: a restart takes it over.
    const server = await startEmbeddedMongo({ dataDir: dir });
    const client = await MongoClient.connect(server.uri);
    try {
      const docs = await client.db('crash').collection('docs').find().toArray();
      const present = new Set(docs.map((d) => d.n));
      expect(acked.filter((n) => !present.has(n))).toEqual([]);
      for (const d of docs) {
        expect(d.payload).toHaveLength(2000);
        expect(d.parts).toEqual([d.n, d.n + 1]);
      }
      // The unique index came back too.
      const dup = await client
        .db('crash')
        .collection('docs')
        .insertOne({ n: acked[0] })
        .catch((e: { code: number }) => e);
      expect((dup as { code: number }).code).toBe(11000);
    } finally {
      await client.close();
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
