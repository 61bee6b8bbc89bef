import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config';
import { startServer, type RunningServer } from '../../src/server';
import { defaultServices } from '../../src/services';

const internal = process.env.MONGODB_URI ? describe.skip : describe;

async function startOn(dataDir: string, lines: Array<{ msg: string; entry?: string }> = []): Promise<RunningServer> {
  const env = { PORT: '0', LOG_LEVEL: 'warn', DATA_DIR: dataDir, BULK_EXPORT_DIR: path.join(dataDir, 'exports'), BULK_EXPORT_POLL: '20ms' };
  const config = loadConfig(env);
  const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return startServer(config, await defaultServices(config, env), { logger });
}

/** Every folder and file below `root` (the socket too), with its permission bits. */
function modes(root: string): Array<{ entry: string; dir: boolean; mode: string }> {
  const out: Array<{ entry: string; dir: boolean; mode: string }> = [];
  for (const name of fs.readdirSync(root)) {
    const entry = path.join(root, name);
    const st = fs.lstatSync(entry);
    out.push({ entry: path.relative(root, entry), dir: st.isDirectory(), mode: (st.mode & 0o777).toString(8) });
    if (st.isDirectory()) out.push(...modes(entry).map((m) => ({ ...m, entry: path.join(name, m.entry) })));
  }
  return out;
}

async function exportEverything(server: RunningServer): Promise<void> {
  const kickoff = await fetch(`${server.baseUrl}/$export`, { headers: { Prefer: 'respond-async', Accept: 'application/fhir+json' } });
  expect(kickoff.status).toBe(202);
  const status = kickoff.headers.get('content-location') as string;
  for (;;) {
    const res = await fetch(status);
    await res.arrayBuffer();
    if (res.status === 200) return;
    expect(res.status).toBe(202);
    await new Promise((r) => setTimeout(r, 20));
  }
}

internal('patient data on disk', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fhirstone-modes-')), 'data')));
  afterEach(() => fs.rmSync(path.dirname(dataDir), { recursive: true, force: true }));

  it('is owner-only: DATA_DIR and its folders 0700, every file 0600, also after writes and an export', async () => {
    const server = await startOn(dataDir);
    try {
      for (const id of ['a', 'b']) {
        const res = await fetch(`${server.baseUrl}/Patient/${id}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/fhir+json' },
          body: JSON.stringify({ resourceType: 'Patient', id }),
        });
        expect(res.status).toBe(201);
      }
      await exportEverything(server);
      const entries = modes(dataDir);
      expect(entries.some((e) => e.entry.startsWith('exports/') && e.entry.endsWith('.ndjson'))).toBe(true);
      expect(entries.some((e) => e.entry === 'store/data.mdb')).toBe(true);
      expect((fs.statSync(dataDir).mode & 0o777).toString(8)).toBe('700');
      expect(entries.filter((e) => e.mode !== (e.dir ? '700' : '600'))).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('refuses to start on a DATA_DIR other users may enter, saying how to fix it, and leaves the folder as it was', async () => {
    fs.mkdirSync(dataDir, { mode: 0o755 });
    fs.chmodSync(dataDir, 0o755);
    const config = loadConfig({ PORT: '0', DATA_DIR: dataDir });
    await expect(startServer(config, await defaultServices(config, {}), { logger: pino({ level: 'silent' }) })).rejects.toThrow(
      `may be entered by other users (mode 0755): it holds patient data. Run chmod 700 ${dataDir}`,
    );
    expect(fs.statSync(dataDir).mode & 0o777).toBe(0o755);
  });

  it('makes files of an owner-only DATA_DIR that others could read (written by older versions) owner-only, with a warning', async () => {
    fs.mkdirSync(path.join(dataDir, 'exports', 'job-1'), { recursive: true, mode: 0o700 });
    fs.chmodSync(dataDir, 0o700);
    fs.chmodSync(path.join(dataDir, 'exports', 'job-1'), 0o755);
    fs.writeFileSync(path.join(dataDir, 'exports', 'job-1', 'Patient-1.ndjson'), '{}\n', { mode: 0o644 });
    fs.chmodSync(path.join(dataDir, 'exports', 'job-1', 'Patient-1.ndjson'), 0o644);
    const lines: Array<{ msg: string; entry?: string }> = [];
    const server = await startOn(dataDir, lines);
    await server.close();
    expect(modes(dataDir).filter((e) => e.mode !== (e.dir ? '700' : '600'))).toEqual([]);
    expect(
      lines
        .filter((l) => l.msg === 'could be read by other users: made owner-only')
        .map((l) => path.relative(dataDir, l.entry!))
        .sort(),
    ).toEqual(['exports/job-1', 'exports/job-1/Patient-1.ndjson']);
  });
});
