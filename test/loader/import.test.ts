import { rename } from 'node:fs/promises';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server';
import { patient, runLoadCli, tempDir, writeLines } from './fixtures';

/**
 * Files whose Encounter refers to its Practitioner conditionally (`Practitioner?identifier=...`, as the Synthea US
 * Core NDJSON does), whose Observation refers to a Specimen of a file loaded after it (`$import` resolves that when
 * every file is read, bundles sent file by file cannot), and a line that is not JSON.
 */
async function inputs(tag: string): Promise<string> {
  const dir = await tempDir();
  await writeLines(dir, 'Practitioner.ndjson', [JSON.stringify({ resourceType: 'Practitioner', id: `${tag}-pr`, identifier: [{ system: 'urn:npi', value: tag }] })]);
  await writeLines(dir, 'Patient.ndjson', [patient(`${tag}-p`), '{oops']);
  await writeLines(dir, 'Encounter.ndjson', [
    JSON.stringify({
      resourceType: 'Encounter',
      id: `${tag}-e`,
      status: 'finished',
      class: { code: 'AMB' },
      subject: { reference: `Patient/${tag}-p` },
      participant: [{ individual: { reference: `Practitioner?identifier=urn:npi|${tag}` } }],
    }),
  ]);
  await writeLines(dir, 'Observation.ndjson', [
    JSON.stringify({ resourceType: 'Observation', id: `${tag}-o`, status: 'final', code: { text: 'x' }, specimen: { reference: `Specimen/${tag}-s` } }),
  ]);
  await writeLines(dir, 'Specimen.ndjson', [JSON.stringify({ resourceType: 'Specimen', id: `${tag}-s` })]);
  return dir;
}

const forwardFailure = /Observation\.ndjson line 1: .*Specimen\/imp\d-s does not exist/;

describe('fhirstone load with a server that offers $import', () => {
  let importDir: string;
  let server: TestServer;
  beforeAll(async () => {
    importDir = await tempDir();
    server = await startTestServer({ IMPORT_DIR: importDir, BULK_EXPORT_POLL: '20ms' });
  });
  afterAll(() => server.close());

  /** The inputs, moved under the server's IMPORT_DIR. */
  const inside = async (tag: string) => {
    const dir = path.join(importDir, tag);
    await rename(await inputs(tag), dir);
    return dir;
  };
  const load = (dir: string, ...args: string[]) => runLoadCli(['--url', server.baseUrl, '--no-progress', '--state', `${dir}.state.json`, ...args, dir]);

  it('imports NDJSON files under its IMPORT_DIR, resolving conditional references, and names each failed line', async () => {
    const moved = await inside('imp1');
    const { code, stderr } = await load(moved);
    expect(code).toBe(1);
    expect(stderr).not.toContain('refused $import');
    expect(stderr).toMatch(/Loaded 5 resources from 5 files/);
    expect(stderr).toContain('1 failures:');
    expect(stderr).toMatch(/Patient\.ndjson line 2: not valid JSON/);
    const encounter = await server.json('GET', 'Encounter/imp1-e');
    expect(encounter.body.participant[0].individual.reference).toBe('Practitioner/imp1-pr');
  });

  it('skips, with --resume, the files an import finished without failure', async () => {
    const dir = await inside('imp2');
    expect((await load(dir)).code).toBe(1);
    const again = await load(dir, '--resume');
    // Every file but Patient was imported whole; Patient had a bad line and is imported again.
    expect(again.stderr).toMatch(/Loaded 1 resources from 5 files .*\(resumed: 4 files and 0 NDJSON lines skipped\)/);
    expect((await server.json('GET', 'Encounter/imp2-e')).body.meta.versionId).toBe('1');
    expect((await server.json('GET', 'Patient/imp2-p')).body.meta.versionId).toBe('2');
  });

  it('sends files outside its IMPORT_DIR as bundles, after a one-line notice', async () => {
    const dir = await inputs('imp3');
    const { code, stderr } = await load(dir);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^The server refused \$import \(.*not a file under the import folder.*\); sending the NDJSON files as bundles$/m);
    expect(stderr).toMatch(/Patient\.ndjson line 2: not valid JSON/);
    // Sent as bundles, file after file, the Observation finds no Specimen: as without $import.
    expect(stderr).toMatch(forwardFailure);
    expect((await server.json('GET', 'Patient/imp3-p')).status).toBe(200);
  });

  it('sends bundles with --no-import', async () => {
    const dir = await inside('imp4');
    const { stderr } = await load(dir, '--no-import');
    expect(stderr).not.toContain('refused $import');
    expect(stderr).toMatch(forwardFailure);
  });
});

describe('fhirstone load without --url', () => {
  it('imports NDJSON files through the server it starts, whose IMPORT_DIR is the inputs’ common folder', async () => {
    const dataDir = await tempDir();
    const dir = await inputs('imp5');
    const { code, stderr } = await runLoadCli(['--no-progress', dir], { DATA_DIR: dataDir, LOG_LEVEL: 'silent', BULK_EXPORT_POLL: '20ms' });
    expect(code).toBe(1);
    expect(stderr).not.toContain('refused $import');
    expect(stderr).toMatch(/Loaded 5 resources from 5 files/);
    expect(stderr).not.toMatch(forwardFailure);
  });
});
