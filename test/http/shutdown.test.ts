import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnServer, type ServerProcess } from '../helpers/server-process';

/** The process ended at once on its second signal: 128+that signal, with the log line saying so. */
async function expectForcedExit(server: ServerProcess): Promise<void> {
  const { code } = await server.exited;
  // Both may be pending at once, and the kernel then delivers the lower-numbered SIGINT first.
  const forced = server.lines.find((l) => l.msg === 'second signal while shutting down: exiting at once, without finishing the shutdown');
  expect(forced).toBeDefined();
  expect(code).toBe(128 + os.constants.signals[forced!.signal as NodeJS.Signals]);
}

const internal = process.env.MONGODB_URI ? describe.skip : describe;

async function put(baseUrl: string, id: string): Promise<number> {
  const res = await fetch(`${baseUrl}/Patient/${id}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/fhir+json' },
    body: JSON.stringify({ resourceType: 'Patient', id }),
  });
  await res.arrayBuffer();
  return res.status;
}

/**
 * Two SIGTERMs close together, as npm, container runtimes and process managers deliver them when they forward a
 * signal the process group got too. Shutdown used to hang now and then: the journal's close waited for a
 * background fsync (EMBEDDED_FSYNC=batch, the default) that never told it it had finished.
 */
internal('stop signals', () => {
  let dataDir: string;
  beforeAll(() => (dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhirstone-signals-'))));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('two SIGTERMs in quick succession end the server every time, and a restart on the same DATA_DIR finds everything written', async () => {
    for (const [round, gapMs] of [0, 5, 20, 50].entries()) {
      const server = await spawnServer({ DATA_DIR: dataDir });
      expect(await put(server.baseUrl, `round-${round}`)).toBe(201);
      server.child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, gapMs));
      server.child.kill('SIGTERM');
      const { code } = await server.exited;
      expect(code).toBe(0);
      expect(server.lines.map((l) => l.msg)).toContain('shutting down');
    }
    const server = await spawnServer({ DATA_DIR: dataDir });
    try {
      const res = await fetch(`${server.baseUrl}/Patient?_count=10&_sort=_id&_elements=id`);
      const bundle = (await res.json()) as { entry: Array<{ resource: { id: string } }> };
      expect(bundle.entry.map((e) => e.resource.id)).toEqual(['round-0', 'round-1', 'round-2', 'round-3']);
    } finally {
      server.child.kill('SIGTERM');
      expect((await server.exited).code).toBe(0);
    }
  }, 120_000);

  describe('a signal while the store loads (port bound, engine starting)', () => {
    const PORT_BOUND = 'port bound: answering 503 until the store and services have started';
    let startDir: string;
    beforeEach(() => (startDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhirstone-start-signal-'))));
    afterEach(() => fs.rmSync(startDir, { recursive: true, force: true }));

    it('stops the start-up cleanly: exit 0, the lock released and the engine socket removed', async () => {
      const server = await spawnServer({ DATA_DIR: startDir }, PORT_BOUND);
      server.child.kill('SIGTERM');
      const { code } = await server.exited;
      const messages = server.lines.map((l) => l.msg);
      expect(messages).not.toContain('FHIR server listening');
      expect(messages).toContain('shutting down');
      expect(code).toBe(0);
      expect(fs.existsSync(path.join(startDir, 'mongod.lock'))).toBe(false);
      expect(fs.existsSync(path.join(startDir, 'socket', 'mongod.sock'))).toBe(false);
    }, 60_000);

    it('ends at once on a second, different signal', async () => {
      const server = await spawnServer({ DATA_DIR: startDir }, PORT_BOUND);
      server.child.kill('SIGTERM');
      server.child.kill('SIGINT');
      await expectForcedExit(server);
      expect(server.lines.map((l) => l.msg)).not.toContain('FHIR server listening');
    }, 60_000);
  });

  it('a second, different signal ends the server at once with 128+signal and a log line, and the store stays readable', async () => {
    const server = await spawnServer({ DATA_DIR: dataDir });
    expect(await put(server.baseUrl, 'forced')).toBe(201);
    server.child.kill('SIGTERM');
    server.child.kill('SIGINT');
    await expectForcedExit(server);

    const again = await spawnServer({ DATA_DIR: dataDir });
    try {
      const res = await fetch(`${again.baseUrl}/Patient/forced`);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    } finally {
      again.child.kill('SIGTERM');
      expect((await again.exited).code).toBe(0);
    }
  }, 60_000);
});
