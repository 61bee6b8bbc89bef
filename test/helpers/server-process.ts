import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { AuditEvent, Bundle, Parameters } from 'fhir/r4';

export interface ServerProcess {
  child: ChildProcess;
  /** http://127.0.0.1:PORT/fhir, from the "FHIR server listening" log line. */
  baseUrl: string;
  /** Every log line so far (pino JSON, parsed), then stderr lines as { msg }. */
  lines: Array<{ msg: string; [key: string]: unknown }>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const ROOT = path.join(__dirname, '../..');

/**
 * Runs `src/main.ts` (or `script`: a file below the repository and its arguments) in a process of its own (compiled on the fly by swc, as the engine's thread is), as `npm
 * start` runs the built server: for what only a whole process shows (signals, exit status, start-up order).
 */
export function spawnServer(env: Record<string, string>, waitFor = 'FHIR server listening', script: string[] = ['src/main.ts']): Promise<ServerProcess> {
  const [file, ...args] = script;
  const child = spawn(process.execPath, ['-r', '@swc-node/register', path.join(ROOT, file), ...args], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: ServerProcess['lines'] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  readline.createInterface({ input: child.stderr! }).on('line', (line) => lines.push({ msg: line }));
  return new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: ServerProcess['lines'][number];
      try {
        entry = JSON.parse(line);
      } catch {
        entry = { msg: line };
      }
      lines.push(entry);
      if (entry.msg === waitFor) resolve({ child, baseUrl: String(entry.url ?? ''), lines, exited });
    });
    void exited.then(({ code }) => reject(new Error(`server exited (${code}) before "${waitFor}": ${lines.map((l) => l.msg).join(' | ')}`)));
  });
}

/** Sends `signal` to the server and waits for its exit. */
export function stopServer(server: ServerProcess, signal: NodeJS.Signals = 'SIGTERM'): ServerProcess['exited'] {
  server.child.kill(signal);
  return server.exited;
}

/** Runs `use` against a server started on `env` (a restart on a DATA_DIR, say), then stops it, also when `use` throws. */
export async function withServer<T>(env: Record<string, string>, use: (server: ServerProcess) => Promise<T>): Promise<T> {
  const server = await spawnServer(env);
  try {
    return await use(server);
  } finally {
    await stopServer(server);
  }
}

/** Runs `use` with a new folder under the system's temporary one, removed afterwards. */
export async function withTempDir<T>(prefix: string, use: (dir: string) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  try {
    return await use(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Every AuditEvent `query` finds (`AuditEvent?...`), its pages followed to the last. */
export async function auditEvents(baseUrl: string, query: string): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  for (let url: string | undefined = `${baseUrl}/${query}`; url;) {
    const page = (await (await fetch(url)).json()) as Bundle<AuditEvent>;
    for (const e of page.entry ?? []) events.push(e.resource!);
    url = page.link?.find((l) => l.relation === 'next')?.url;
  }
  return events;
}

/** What AuditEvent/$verify-chain says of the audit chain: intact or not. */
export async function chainIntact(baseUrl: string): Promise<boolean | undefined> {
  const verified = (await (await fetch(`${baseUrl}/AuditEvent/$verify-chain`)).json()) as Parameters;
  return verified.parameter?.find((p) => p.name === 'intact')?.valueBoolean;
}
