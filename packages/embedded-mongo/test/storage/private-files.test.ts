import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedMongo } from '../../src';
import { withServer } from './with-server';

const internal = process.env.MONGODB_URI ? describe.skip : describe;

function modes(root: string): string[] {
  return fs.readdirSync(root, { recursive: true, encoding: 'utf8' }).map((entry) => {
    const st = fs.lstatSync(path.join(root, entry));
    return `${entry} ${(st.mode & 0o777).toString(8)}`;
  });
}

internal('the engine keeps its files to its user', () => {
  let parent: string;
  let umask: number;
  beforeEach(() => {
    parent = fs.mkdtempSync(path.join(os.tmpdir(), 'emb-private-'));
    // The most permissive umask: the modes must come from the engine, not from the environment.
    umask = process.umask(0);
  });
  afterEach(() => {
    process.umask(umask);
    fs.rmSync(parent, { recursive: true, force: true });
  });

  it('creates the data directory 0700 and the store, lock and socket 0600, whatever the umask, also after a compaction', async () => {
    const dir = path.join(parent, 'data');
    await withServer(dir, async (client, engine) => {
      await client
        .db('d')
        .collection('c')
        .insertOne({ _id: 1 } as never);
      await engine.compact();
      await client
        .db('d')
        .collection('c')
        .insertOne({ _id: 2 } as never);
      expect(modes(dir).sort()).toEqual(['mongod.lock 600', 'socket 700', 'socket/mongod.sock 600', 'store 700', 'store/data.mdb 600', 'store/lock.mdb 600']);
    });
    expect((fs.statSync(dir).mode & 0o777).toString(8)).toBe('700');
  });

  it('refuses a data directory other users may enter', async () => {
    const dir = path.join(parent, 'shared');
    fs.mkdirSync(dir, { mode: 0o755 });
    await expect(startEmbeddedMongo({ dataDir: dir })).rejects.toThrow(`${dir} may be entered by other users (mode 0755)`);
  });
});
