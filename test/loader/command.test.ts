import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { formatFailure } from '../../src/loader/command';
import { startTestServer, type TestServer } from '../helpers/server';
import { patient, runLoadCli, tempDir, writeLines } from './fixtures';

describe('fhirstone load', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('exits 0 and prints the rate when everything loads', async () => {
    const dir = await tempDir();
    await writeLines(dir, 'Patient.ndjson', [patient('cli-1')]);
    const { code, stderr } = await runLoadCli(['--url', server.baseUrl, '--no-progress', '--state', path.join(dir, 's.json'), dir]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/Loaded 1 resources from 1 files in [\d.]+ s \(\d+ resources\/s\)/);
  });

  it('exits 1 and names file and line of each failure', async () => {
    const dir = await tempDir();
    await writeLines(dir, 'Patient.ndjson', [patient('cli-2'), '{oops']);
    const { code, stderr } = await runLoadCli(['--url', server.baseUrl, '--no-progress', '--state', path.join(dir, 's.json'), dir]);
    expect(code).toBe(1);
    expect(stderr).toContain('1 failures:');
    expect(stderr).toMatch(/Patient\.ndjson line 2: not valid JSON/);
  });

  it('exits 2 with the usage on invalid arguments', async () => {
    expect((await runLoadCli([])).code).toBe(2);
    expect((await runLoadCli(['--batch-size', '0', 'x'])).stderr).toMatch(/--batch-size must be a positive integer/);
    expect((await runLoadCli(['--ndjson-as', 'collection', 'x'])).code).toBe(2);
    expect((await runLoadCli(['--bogus', 'x'])).code).toBe(2);
  });
});

describe('fhirstone load without --url on a data folder a running server holds', () => {
  it('prints one line saying to load through that server (--url) or stop it, no stack trace, and exits 1', async () => {
    const dataDir = await tempDir();
    const input = await tempDir();
    await writeLines(input, 'Patient.ndjson', [patient('held-1')]);
    // A live Node process holding the lock, as a running server does.
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      fs.writeFileSync(path.join(dataDir, 'mongod.lock'), String(holder.pid));
      const { code, stderr } = await runLoadCli(['--no-progress', input], { DATA_DIR: dataDir, PORT: '8080', LOG_LEVEL: 'silent' });
      expect(code).toBe(1);
      expect(stderr.trim().split('\n')).toEqual([
        `data directory ${dataDir} is locked by running process ${holder.pid} (${path.join(dataDir, 'mongod.lock')}): a server is running on it. ` +
          'Load through that server instead, e.g. fhirstone load --url http://127.0.0.1:8080/fhir <files> (npm run load -- --url ...), or stop it first.',
      ]);
    } finally {
      holder.kill('SIGKILL');
    }
  });
});

describe('failure lines', () => {
  it('says which lines a refused group took with it', () => {
    expect(formatFailure({ file: '/d/P.ndjson', line: 2, lines: [1, 3], status: 400, diagnostics: 'bad' }, '/d')).toBe('P.ndjson line 2 (lines 1-3 not stored): 400 bad');
    expect(formatFailure({ file: '/d/b.json', entry: 4, status: 422, diagnostics: 'x' }, '/d')).toBe('b.json entry 4: 422 x');
    expect(formatFailure({ file: '/d/b.json', status: 0, diagnostics: 'not valid JSON' }, '/d')).toBe('b.json whole file: not valid JSON');
  });
});
