import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

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
