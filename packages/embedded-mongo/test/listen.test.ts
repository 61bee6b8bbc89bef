import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { startEmbeddedMongo, type EmbeddedMongoHandle } from '../src';

const internal = process.env.MONGODB_URI || process.platform === 'win32' ? describe.skip : describe;

const mode = (p: string) => fs.statSync(p).mode & 0o777;

/** One insert and read back through the driver, in a transaction: sessions work over the socket too. */
async function roundTrip(engine: EmbeddedMongoHandle): Promise<void> {
  const client = await MongoClient.connect(engine.uri);
  try {
    const col = client.db('t').collection<{ _id: number }>('c');
    await client.withSession((session) => session.withTransaction(() => col.insertOne({ _id: 1 }, { session })));
    expect(await col.countDocuments()).toBe(1);
  } finally {
    await client.close();
  }
}

internal('where the embedded engine listens', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emb-listen-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('puts its socket in a private directory of the data directory and removes both on stop', async () => {
    const engine = await startEmbeddedMongo({ dataDir: dir });
    const socketPath = path.join(dir, 'socket', 'mongod.sock');
    expect(engine.listening).toEqual({ socketPath });
    expect(engine.uri).toBe(`mongodb://${encodeURIComponent(socketPath)}/?directConnection=true`);
    expect(mode(path.join(dir, 'socket'))).toBe(0o700);
    expect(fs.statSync(socketPath).isSocket()).toBe(true);
    await roundTrip(engine);
    await engine.stop();
    expect(fs.existsSync(path.join(dir, 'socket'))).toBe(false);
  });

  it('replaces a stale socket left by a killed engine and tightens a loosened directory', async () => {
    const socketDir = path.join(dir, 'socket');
    fs.mkdirSync(socketDir, { mode: 0o755 });
    fs.chmodSync(socketDir, 0o755);
    // What a kill -9 leaves: a socket file nobody listens on any more.
    const script = `require('net').createServer().listen(${JSON.stringify(path.join(socketDir, 'mongod.sock'))}, () => process.kill(process.pid, 'SIGKILL'))`;
    spawnSync(process.execPath, ['-e', script]);
    expect(fs.statSync(path.join(socketDir, 'mongod.sock')).isSocket()).toBe(true);
    const engine = await startEmbeddedMongo({ dataDir: dir });
    try {
      expect(engine.listening).toEqual({ socketPath: path.join(socketDir, 'mongod.sock') });
      expect(mode(socketDir)).toBe(0o700);
      await roundTrip(engine);
    } finally {
      await engine.stop();
    }
  });

  it('refuses a socket directory that is a symbolic link', async () => {
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'emb-elsewhere-'));
    try {
      fs.symlinkSync(elsewhere, path.join(dir, 'socket'));
      await expect(startEmbeddedMongo({ dataDir: dir })).rejects.toThrow(/not a directory owned by this user/);
      // The refusal released the data directory.
      expect(fs.existsSync(path.join(dir, 'mongod.lock'))).toBe(false);
    } finally {
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('uses a private temporary directory when in memory or when the data directory path is too long for a socket', async () => {
    const deep = path.join(dir, 'd'.repeat(60), 'e'.repeat(60));
    for (const opts of [{}, { dataDir: deep }]) {
      const engine = await startEmbeddedMongo(opts);
      const { socketPath } = engine.listening as { socketPath: string };
      expect(path.dirname(path.dirname(socketPath))).toBe(os.tmpdir());
      expect(mode(path.dirname(socketPath))).toBe(0o700);
      await roundTrip(engine);
      await engine.stop();
      expect(fs.existsSync(path.dirname(socketPath))).toBe(false);
    }
  });

  it('listens on TCP 127.0.0.1 when asked', async () => {
    const engine = await startEmbeddedMongo({ transport: 'tcp' });
    try {
      const { port } = engine.listening as { port: number };
      expect(engine.uri).toBe(`mongodb://127.0.0.1:${port}/?replicaSet=embedded`);
      await roundTrip(engine);
    } finally {
      await engine.stop();
    }
  });
});
