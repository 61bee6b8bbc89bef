import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedMongo } from '../../../src/embedded-mongo';

const internal = process.env.MONGODB_URI ? describe.skip : describe;

internal('data directory lock', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emb-lock-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses a second engine on the same directory while the first runs, and frees it on stop', async () => {
    const first = await startEmbeddedMongo({ dataDir: dir });
    await expect(startEmbeddedMongo({ dataDir: dir })).rejects.toThrow(/already open|locked/);
    expect(fs.readFileSync(path.join(dir, 'mongod.lock'), 'utf8')).toBe(String(process.pid));
    await first.stop();
    expect(fs.existsSync(path.join(dir, 'mongod.lock'))).toBe(false);
    const second = await startEmbeddedMongo({ dataDir: dir });
    await second.stop();
  });

  it('refuses a directory locked by another live process', async () => {
    // The parent of this test process is alive for the whole test.
    fs.writeFileSync(path.join(dir, 'mongod.lock'), String(process.ppid));
    await expect(startEmbeddedMongo({ dataDir: dir })).rejects.toThrow(`locked by running process ${process.ppid}`);
  });

  it('takes over a stale lock whose process is gone', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    fs.writeFileSync(path.join(dir, 'mongod.lock'), dead);
    const server = await startEmbeddedMongo({ dataDir: dir });
    expect(fs.readFileSync(path.join(dir, 'mongod.lock'), 'utf8')).toBe(String(process.pid));
    await server.stop();
  });

  it("takes over a lock with this process's pid written before the process started (a recycled pid)", async () => {
    const lock = path.join(dir, 'mongod.lock');
    fs.writeFileSync(lock, String(process.pid));
    const beforeStart = new Date(Date.now() - process.uptime() * 1000 - 60_000);
    fs.utimesSync(lock, beforeStart, beforeStart);
    const server = await startEmbeddedMongo({ dataDir: dir });
    expect(fs.statSync(lock).mtimeMs).toBeGreaterThan(beforeStart.getTime());
    await server.stop();
  });

  it("refuses a lock with this process's pid written since the process started (another thread holds it)", async () => {
    fs.writeFileSync(path.join(dir, 'mongod.lock'), String(process.pid));
    await expect(startEmbeddedMongo({ dataDir: dir })).rejects.toThrow('already open in this process');
  });
});
