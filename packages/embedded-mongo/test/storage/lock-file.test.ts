import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { startEmbeddedMongo } from '../../src';

const internal = process.env.MONGODB_URI ? describe.skip : describe;
const withProc = fs.existsSync('/proc/self/stat') ? it : it.skip;

const lockHolder = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'mongod.lock'), 'utf8')).pid;
const startTicks = (pid: number) => {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
};
const bootId = () => fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();

internal('data directory lock', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emb-lock-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses a second engine on the same directory while the first runs, and frees it on stop', async () => {
    const first = await startEmbeddedMongo({ dataDir: dir });
    await expect(startEmbeddedMongo({ dataDir: dir })).rejects.toThrow(/already open|locked/);
    expect(lockHolder(dir)).toBe(process.pid);
    await first.stop();
    expect(fs.existsSync(path.join(dir, 'mongod.lock'))).toBe(false);
    const second = await startEmbeddedMongo({ dataDir: dir });
    await second.stop();
  });

  it('refuses a directory locked, in the older pid-only form, by another live Node process', async () => {
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      fs.writeFileSync(path.join(dir, 'mongod.lock'), String(other.pid));
      await expect(startEmbeddedMongo({ dataDir: dir })).rejects.toThrow(`locked by running process ${other.pid}`);
    } finally {
      other.kill('SIGKILL');
    }
  });

  describe('a lock naming a live process that is not its holder (the pid was recycled after a kill -9)', () => {
    let sleeper: ChildProcess;
    beforeEach(() => (sleeper = spawn('sleep', ['30'], { stdio: 'ignore' })));
    afterEach(() => void sleeper.kill('SIGKILL'));

    withProc('is taken over when it names the pid alone (an older lock) and the process is not Node', async () => {
      fs.writeFileSync(path.join(dir, 'mongod.lock'), String(sleeper.pid));
      const server = await startEmbeddedMongo({ dataDir: dir });
      expect(lockHolder(dir)).toBe(process.pid);
      await server.stop();
    });

    withProc('is taken over when the process started at another time than the holder did', async () => {
      fs.writeFileSync(path.join(dir, 'mongod.lock'), JSON.stringify({ pid: sleeper.pid, startTicks: '1', bootId: bootId() }));
      const server = await startEmbeddedMongo({ dataDir: dir });
      await server.stop();
    });

    withProc('is taken over when it was written before the last boot', async () => {
      const parent = process.ppid;
      fs.writeFileSync(path.join(dir, 'mongod.lock'), JSON.stringify({ pid: parent, startTicks: startTicks(parent), bootId: 'an-earlier-boot' }));
      const server = await startEmbeddedMongo({ dataDir: dir });
      await server.stop();
    });
  });

  withProc('refuses a lock whose holder is the very process that wrote it, still running', async () => {
    const parent = process.ppid;
    fs.writeFileSync(path.join(dir, 'mongod.lock'), JSON.stringify({ pid: parent, startTicks: startTicks(parent), bootId: bootId() }));
    await expect(startEmbeddedMongo({ dataDir: dir })).rejects.toThrow(`locked by running process ${parent}`);
  });

  it('takes over a stale lock whose process is gone', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    fs.writeFileSync(path.join(dir, 'mongod.lock'), dead);
    const server = await startEmbeddedMongo({ dataDir: dir });
    expect(lockHolder(dir)).toBe(process.pid);
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

  it('takes over a stale lock whose takeover a contender claimed and died before finishing', async () => {
    const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());
    const stale = JSON.stringify({ pid: dead, startTicks: '1' });
    fs.writeFileSync(path.join(dir, 'mongod.lock'), stale);
    const claim = `mongod.lock.takeover-${createHash('sha256').update(stale).digest('hex').slice(0, 16)}`;
    fs.writeFileSync(path.join(dir, claim), JSON.stringify({ pid: dead, startTicks: '2' }));
    const server = await startEmbeddedMongo({ dataDir: dir });
    expect(lockHolder(dir)).toBe(process.pid);
    expect(fs.existsSync(path.join(dir, claim))).toBe(false);
    await server.stop();
  });

  describe('two starts at once over a stale lock', () => {
    /** A contender process and the lines it prints, one at a time. */
    function contender() {
      const child = spawn(process.execPath, ['-r', '@swc-node/register', path.join(__dirname, 'lock-contender.ts')], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      const lines = readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
      const ask = async (command: string) => {
        child.stdin!.write(`${command}\n`);
        return String((await lines.next()).value);
      };
      return { child, ask };
    }

    it('let exactly one of them take it over, every time', async () => {
      const contenders = [contender(), contender()];
      try {
        const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
        for (let round = 0; round < 30; round++) {
          // Stale in two ways in turn: a holder that is gone, and a file cut short by a crash while it was written.
          fs.writeFileSync(path.join(dir, 'mongod.lock'), round % 2 ? '' : JSON.stringify({ pid: Number(dead), startTicks: String(round) }));
          const at = Date.now() + 200;
          const outcomes = await Promise.all(contenders.map((c) => c.ask(`acquire ${dir} ${at}`)));
          expect(outcomes.filter((o) => o === 'won')).toHaveLength(1);
          expect(outcomes.filter((o) => o.startsWith('refused'))).toEqual([expect.stringContaining('locked by running process')]);
          const winner = contenders[outcomes.indexOf('won')];
          expect(lockHolder(dir)).toBe(winner.child.pid);
          expect(await winner.ask('release')).toBe('released');
          // No claim or temporary file of the takeover is left behind.
          expect(fs.readdirSync(dir)).toEqual([]);
        }
      } finally {
        for (const c of contenders) c.child.kill('SIGKILL');
      }
    }, 60_000);
  });
});
