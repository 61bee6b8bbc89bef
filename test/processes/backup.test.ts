import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chainIntact, spawnServer, stopServer, withServer, withTempDir } from '../helpers/server-process';

const ROOT = path.join(__dirname, '../..');
const internal = process.env.MONGODB_URI ? describe.skip : describe;

/** Runs `fhirstone <args>` to its end, as a user would from a shell. */
function cli(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, ['-r', '@swc-node/register', path.join(ROOT, 'src/cli.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const put = async (base: string, id: string) =>
  (await fetch(`${base}/Patient/${id}`, { method: 'PUT', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: 'Patient', id }) }))
    .status;

internal('fhirstone backup and restore', () => {
  it('copies the store while writes go on, and a server on the restored copy has everything written before the backup began', async () => {
    await withTempDir('fhirstone-backup-', async (dir) => {
      const [live, copy, restored] = ['live', 'copy', 'restored'].map((d) => path.join(dir, d));
      const server = await spawnServer({ DATA_DIR: live });
      for (let i = 0; i < 50; i++) expect(await put(server.baseUrl, `before-${i}`)).toBe(201);
      let stop = false;
      let during = 0;
      const writer = (async () => {
        while (!stop) if ((await put(server.baseUrl, `during-${during}`)) === 201) during++;
      })();
      await new Promise((r) => setTimeout(r, 200));
      const backup = cli(['backup', copy], { DATA_DIR: live });
      stop = true;
      await writer;
      expect(backup).toMatchObject({ status: 0 });
      expect(during).toBeGreaterThan(0);
      expect(fs.statSync(copy).mode & 0o077).toBe(0);
      // A store whose engine runs cannot be restored over.
      expect(cli(['restore', copy], { DATA_DIR: live }).status).not.toBe(0);
      await stopServer(server);

      expect(cli(['restore', copy], { DATA_DIR: restored })).toMatchObject({ status: 0 });
      await withServer({ DATA_DIR: restored }, async (again) => {
        for (let i = 0; i < 50; i++) expect((await fetch(`${again.baseUrl}/Patient/before-${i}`)).status).toBe(200);
        // As of one moment: the writes made during the backup are there up to some point, and none after a gap.
        const present = [];
        for (let i = 0; i < during; i++) present.push((await fetch(`${again.baseUrl}/Patient/during-${i}`)).status === 200);
        const cut = present.indexOf(false);
        expect(cut === -1 ? [] : present.slice(cut)).not.toContain(true);
        expect(await chainIntact(again.baseUrl)).toBe(true);
      });
    });
  }, 120_000);
});
