import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..', '..');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * Waits until the process at `pid` uses under 5% of a core over a quarter second (at most `maxMs`): a server's
 * background work after a phase (audit batches, journal flushes, compaction) would otherwise share the cores with
 * the next measurement.
 */
export async function waitIdle(pid: number, maxMs = 15_000): Promise<void> {
  const deadline = Date.now() + maxMs;
  let last = cpuSeconds(pid);
  while (last !== undefined && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    const now = cpuSeconds(pid);
    if (now === undefined || now - last < 0.0125) return;
    last = now;
  }
}

export interface BaselineServer {
  url: string;
  pid: number;
  /** SIGTERM, and wait for the exit (a baseline must not share the cores with the next measurement). */
  stop(): Promise<void>;
}

/**
 * A baseline server (bench/lib/baseline-server.ts) of `kind` on a free port, with the node options of `npm start`;
 * `file` holds the response to serve. It exits when this process does (its stdin closes).
 */
export async function startBaseline(kind: string, file?: string, timeoutMs = 60_000): Promise<BaselineServer> {
  const port = await freePort();
  const args = [...startFlags(), path.join(__dirname, 'baseline-server.js'), kind, String(port), ...(file ? [file] : [])];
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`${kind} baseline server not ready within ${timeoutMs} ms`)), timeoutMs);
      child.once('exit', (code) => reject(new Error(`${kind} baseline server exited with ${code}`)));
      child.stdout!.once('data', () => resolve());
    });
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** `fn`'s result, and the CPU seconds the process at `pid` used while it ran (undefined where unknown). */
export async function cpuDuring<T>(pid: number, fn: () => Promise<T>): Promise<{ value: T; cpuSeconds?: number }> {
  const before = cpuSeconds(pid);
  const value = await fn();
  const after = cpuSeconds(pid);
  return { value, cpuSeconds: before !== undefined && after !== undefined ? after - before : undefined };
}

/** CPU milliseconds per unit of work (three decimals); undefined where the CPU time or the work is unknown. */
export function msPerUnit(cpuSeconds: number | undefined, units: number): number | undefined {
  return cpuSeconds === undefined || !units ? undefined : Math.round((cpuSeconds * 1e6) / units) / 1000;
}

/** CPU seconds (user + system) a process has used so far; Linux only, undefined elsewhere. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** Peak resident memory (VmHWM) of a process, MB; Linux only. */
export function peakRssMb(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

export interface ChildServer {
  baseUrl: string;
  pid: number;
  /** Milliseconds from spawn until `ready` answered. */
  startMs: number;
  peakRssMb(): number | undefined;
  /** SIGTERM and wait for exit; returns the CPU profiles written (one per thread, main thread first), when profiling. */
  stop(): Promise<string[] | undefined>;
}

export interface ChildOptions {
  dataDir: string;
  env?: Record<string, string>;
  /** Write a V8 CPU profile into this folder (node --cpu-prof). */
  cpuProfDir?: string;
  /** Resolves true when the server is ready; default: GET /readyz is 200. */
  ready?: (baseUrl: string) => Promise<boolean>;
  timeoutMs?: number;
  maxOldSpaceMb?: number;
  /** Keep the server's log (stdout and stderr) in this file; default: the folder BENCH_SERVER_LOG names, else none. */
  logFile?: string;
}

async function readyz(baseUrl: string): Promise<boolean> {
  const res = await fetch(`${baseUrl.replace(/\/fhir$/, '')}/readyz`, { signal: AbortSignal.timeout(2000) });
  await res.arrayBuffer();
  return res.ok;
}

/** The node options of `npm start` (package.json), so the bench runs the server as it does. */
function startFlags(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
  return pkg.scripts.start.split(/\s+/).filter((a) => a.startsWith('--'));
}

/**
 * The real server (`dist/src/main.js`, as `npm start` runs it, with its node options) in its own process on a free
 * port, with the production defaults except where `env` says otherwise. Its log goes to /dev/null (written, as in
 * production, but not to a terminal) unless `logFile` or the environment's BENCH_SERVER_LOG (a folder: one
 * `server-<port>.log` per server) keeps it, to find out why a job failed.
 */
export async function startChildServer(opts: ChildOptions): Promise<ChildServer> {
  const port = await freePort();
  const args = [
    ...startFlags(),
    ...(opts.maxOldSpaceMb ? [`--max-old-space-size=${opts.maxOldSpaceMb}`] : []),
    ...(opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : []),
    path.join(PROJECT_ROOT, 'dist', 'src', 'main.js'),
  ];
  const logDir = process.env.BENCH_SERVER_LOG;
  const logFile = opts.logFile ?? (logDir ? path.join(logDir, `server-${port}.log`) : undefined);
  const log = logFile ? createWriteStream(logFile, { flags: 'a' }) : undefined;
  if (logFile) process.stderr.write(`[bench] server log: ${logFile}\n`);
  const started = process.hrtime.bigint();
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: PROJECT_ROOT,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: opts.dataDir, FHIR_BASE_URL: '', ...opts.env },
    stdio: ['ignore', log ? 'pipe' : 'ignore', 'pipe'],
  });
  if (log) child.stdout?.pipe(log, { end: false });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    log?.write(d);
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.once('close', () => log?.end());
  const baseUrl = `http://127.0.0.1:${port}/fhir`;
  const ready = opts.ready ?? readyz;
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  let dead = false;
  void exited.then(() => (dead = true));
  for (;;) {
    if (dead) throw new Error(`server exited during start-up: ${stderr}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server not ready within ${opts.timeoutMs ?? 120_000} ms: ${stderr}`);
    }
    // The server listens before it has attached its routes: a request then is never answered, so probes time out.
    if (await ready(baseUrl).catch(() => false)) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const startMs = Number(process.hrtime.bigint() - started) / 1e6;
  const pid = child.pid as number;
  return {
    baseUrl,
    pid,
    startMs,
    peakRssMb: () => peakRssMb(pid),
    async stop() {
      if (!dead) child.kill('SIGTERM');
      const code = await exited;
      if (code !== 0 && code !== null) process.stderr.write(`server exited with ${code}: ${stderr}\n`);
      if (!opts.cpuProfDir) return undefined;
      // One file per thread, named CPU.<date>.<time>.<pid>.<thread>.<seq>: thread 0 is the server's, the next the engine's.
      const thread = (f: string) => Number(f.split('.')[4]);
      return readdirSync(opts.cpuProfDir)
        .filter((f) => f.endsWith('.cpuprofile') && f.includes(`.${pid}.`))
        .sort((a, b) => thread(a) - thread(b))
        .map((f) => path.join(opts.cpuProfDir!, f));
    },
  };
}
