import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { downloadLines } from '../helpers/ndjson';
import { startTestServer, type TestServer } from '../helpers/server';

const lines = (...resources: unknown[]) => resources.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n';

const importParams = (...inputs: Array<[string, string]>) => ({
  resourceType: 'Parameters',
  parameter: [
    { name: 'inputFormat', valueCode: 'application/fhir+ndjson' },
    { name: 'inputSource', valueUri: 'https://ehr.example.org/fhir' },
    ...inputs.map(([type, url]) => ({
      name: 'input',
      part: [
        { name: 'type', valueCode: type },
        { name: 'url', valueUri: url },
      ],
    })),
  ],
});

async function finish(location: string): Promise<{ status: number; body: any }> {
  for (;;) {
    const res = await fetch(location, { headers: { accept: 'application/json' } });
    if (res.status !== 202) return { status: res.status, body: await res.json() };
    await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function runImport(server: TestServer, ...inputs: Array<[string, string]>) {
  const kick = await server.json('POST', '$import', importParams(...inputs), { prefer: 'respond-async' });
  expect(kick.status).toBe(202);
  const done = await finish(kick.headers.get('content-location') as string);
  expect(done.status).toBe(200);
  const errors = (await downloadLines(done.body.error)).map((oo) => oo.issue[0].diagnostics as string);
  const summaries = (await downloadLines(done.body.output)).map((oo) => oo.issue[0].diagnostics as string);
  return { manifest: done.body, errors, summaries };
}

describe('$import from the import folder', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'import-'));
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'import-outside-'));
  let server: TestServer;
  beforeAll(async () => {
    fs.writeFileSync(
      path.join(dir, 'Patient.ndjson'),
      lines(
        { resourceType: 'Patient', id: 'p1', name: [{ family: 'One' }] },
        { resourceType: 'Patient', id: 'p2' },
        'this is not JSON',
        { resourceType: 'Condition', id: 'c1' },
        { resourceType: 'Patient', name: [{ family: 'No id' }] },
        { resourceType: 'Patient', id: 'p3', gender: 'robot' },
      ),
    );
    const enc = (id: string, extra: object) => ({ resourceType: 'Encounter', id, status: 'finished', class: { code: 'AMB' }, ...extra });
    fs.writeFileSync(
      path.join(dir, 'Encounter.ndjson'),
      lines(
        enc('e1', { subject: { reference: 'Patient/p1' }, participant: [{ individual: { reference: 'Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|999' } }] }),
        enc('e2', { subject: { reference: 'Patient/p-missing' } }),
        enc('e3', { subject: { reference: 'Patient/p2' }, partOf: { reference: 'Encounter/e4' } }),
        enc('e4', { subject: { reference: 'Patient/p2' } }),
      ),
    );
    fs.writeFileSync(
      path.join(dir, 'Practitioner.ndjson'),
      lines({ resourceType: 'Practitioner', id: 'pr1', identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: '999' }] }),
    );
    fs.writeFileSync(
      path.join(dir, 'Observation.ndjson'),
      lines({ resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'x' }, specimen: { reference: 'Specimen/s1' } }),
    );
    fs.writeFileSync(path.join(dir, 'Specimen.ndjson'), lines({ resourceType: 'Specimen', id: 's1' }));
    fs.writeFileSync(path.join(outside, 'secret.ndjson'), lines({ resourceType: 'Patient', id: 'secret' }));
    fs.symlinkSync(path.join(outside, 'secret.ndjson'), path.join(dir, 'link.ndjson'));
    server = await startTestServer({ IMPORT_DIR: dir, BULK_EXPORT_POLL: '20ms' });
  });
  afterAll(() => server.close());

  it('stores every valid line with its own id, resolving references between files when all are read', async () => {
    const { manifest, errors, summaries } = await runImport(
      server,
      ['Encounter', 'Encounter.ndjson'],
      ['Patient', `file://${path.join(dir, 'Patient.ndjson')}`],
      ['Observation', 'Observation.ndjson'],
      ['Specimen', 'Specimen.ndjson'],
      ['Practitioner', 'Practitioner.ndjson'],
    );
    expect(manifest.request).toBe(`${server.baseUrl}/$import`);
    for (const ref of ['Patient/p1', 'Patient/p2', 'Encounter/e1', 'Encounter/e3', 'Encounter/e4', 'Observation/o1', 'Specimen/s1', 'Practitioner/pr1']) {
      const read = await server.json('GET', ref);
      expect({ ref, status: read.status, version: read.body.meta?.versionId }).toEqual({ ref, status: 200, version: '1' });
    }
    // The conditional reference is stored as the literal one it resolved to.
    expect((await server.json('GET', 'Encounter/e1')).body.participant[0].individual.reference).toBe('Practitioner/pr1');
    expect(summaries).toContain('Encounter.ndjson: 3 Encounter resources imported, 1 lines not imported');
    expect(summaries.find((s) => s.includes('Patient.ndjson'))).toMatch(/: 2 Patient resources imported, 4 lines not imported$/);
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/Patient\.ndjson line 3: not valid JSON/),
        expect.stringMatching(/Patient\.ndjson line 4: a Condition in the input of type Patient/),
        expect.stringMatching(/Patient\.ndjson line 5: has no id/),
        expect.stringMatching(/Patient\.ndjson line 6: .*robot/),
        'Encounter.ndjson line 2: not imported: Referenced resource Patient/p-missing does not exist',
      ]),
    );
    expect(errors).toHaveLength(5);
    expect((await server.json('GET', 'Encounter/e2')).status).toBe(404);
  });

  it('gives an existing resource a new version, as an update would', async () => {
    await runImport(server, ['Specimen', 'Specimen.ndjson']);
    expect((await server.json('GET', 'Specimen/s1')).body.meta.versionId).toBe('2');
  });

  it.each([
    ['a path that climbs out of the folder', '../x.ndjson'],
    ['a file URL outside the folder', 'file:///etc/passwd'],
    ['an http URL under no listed prefix', 'http://127.0.0.1:1/Patient.ndjson'],
    ['another scheme', 'ftp://example.org/Patient.ndjson'],
  ])('refuses %s at kick-off with 400', async (_what, url) => {
    const res = await server.json('POST', '$import', importParams(['Patient', url]));
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });

  it('does not follow a symlink out of the folder', async () => {
    const { errors } = await runImport(server, ['Patient', 'link.ndjson']);
    expect(errors).toEqual([expect.stringContaining('leads outside the import folder')]);
    expect((await server.json('GET', 'Patient/secret')).status).toBe(404);
  });

  it.each([
    [
      'no inputFormat',
      {
        resourceType: 'Parameters',
        parameter: [
          {
            name: 'input',
            part: [
              { name: 'type', valueCode: 'Patient' },
              { name: 'url', valueUri: 'x' },
            ],
          },
        ],
      },
    ],
    ['no input', { resourceType: 'Parameters', parameter: [{ name: 'inputFormat', valueCode: 'application/fhir+ndjson' }] }],
    ['an unknown parameter', { ...importParams(['Patient', 'Patient.ndjson']), parameter: [{ name: 'mode', valueCode: 'x' }] }],
    ['an input without a type', importParams(['', 'Patient.ndjson'])],
    ['a type the server does not store', importParams(['Nonsense', 'Patient.ndjson'])],
  ])('answers 400 for %s', async (_what, body) => {
    expect((await server.json('POST', '$import', body)).status).toBe(400);
  });

  it('cancels a job with DELETE on its status URL', async () => {
    const kick = await server.json('POST', '$import', importParams(['Patient', 'Patient.ndjson']));
    const location = kick.headers.get('content-location') as string;
    expect((await fetch(location, { method: 'DELETE' })).status).toBe(202);
    expect((await fetch(location)).status).toBe(404);
  });
});

describe('$import over http', () => {
  let files: http.Server;
  let base: string;
  let server: TestServer;
  beforeAll(async () => {
    files = http.createServer((req, res) => {
      if (req.url === '/files/Patient.ndjson') res.end(lines({ resourceType: 'Patient', id: 'h1' }, { resourceType: 'Patient', id: 'h2' }));
      else if (req.url === '/files/moved.ndjson') res.writeHead(302, { location: '/elsewhere/Patient.ndjson' }).end();
      else if (req.url === '/files/big.ndjson') res.end(lines(...Array.from({ length: 3000 }, (_, i) => ({ resourceType: 'Patient', id: `big-${i}` }))));
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
    server = await startTestServer({ IMPORT_URL_PREFIXES: `${base}/files/`, IMPORT_MAX_FILE_MB: '1', BULK_EXPORT_POLL: '20ms' });
  });
  afterAll(async () => {
    await server.close();
    await new Promise((r) => files.close(r));
  });

  it('fetches a URL under a listed prefix (a loopback address the prefix names)', async () => {
    const { errors } = await runImport(server, ['Patient', `${base}/files/Patient.ndjson`]);
    expect(errors).toEqual([]);
    expect((await server.json('GET', 'Patient/h2')).status).toBe(200);
  });

  it('does not follow a redirect out of the listed prefixes', async () => {
    const { errors } = await runImport(server, ['Patient', `${base}/files/moved.ndjson`]);
    expect(errors).toEqual([expect.stringContaining('is not under any of the URL prefixes')]);
  });

  it('reports a missing file and goes on', async () => {
    const { errors } = await runImport(server, ['Patient', `${base}/files/none.ndjson`], ['Patient', `${base}/files/Patient.ndjson`]);
    expect(errors).toEqual([expect.stringContaining('answered 404')]);
  });
});

describe('$import across a restart', () => {
  it('resumes from its last checkpoint: no line is imported twice', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'import-restart-'));
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'import-data-'));
    fs.writeFileSync(path.join(dir, 'Patient.ndjson'), lines(...Array.from({ length: 1500 }, (_, i) => ({ resourceType: 'Patient', id: `r-${i}` }))));
    const env = { IMPORT_DIR: dir, DATA_DIR: dataDir, MONGODB_DB: 'import_restart', BULK_EXPORT_POLL: '20ms', BULK_EXPORT_LEASE: '5s' };
    const first = await startTestServer(env);
    const kick = await first.json('POST', '$import', importParams(['Patient', 'Patient.ndjson']));
    const location = kick.headers.get('content-location') as string;
    const jobPath = location.slice(first.baseUrl.length + 1);
    // Stop once some batches are stored: a clean stop hands the job back at its last checkpoint.
    for (;;) {
      const res = await first.api(jobPath);
      if (res.status !== 202 || /[1-9]\d* resources imported/.test(res.headers.get('x-progress') ?? '')) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    await first.close();
    const second = await startTestServer(env);
    try {
      const done = await finish(`${second.baseUrl}/${jobPath}`);
      expect(done.status).toBe(200);
      const summaries = (await downloadLines(done.body.output)).map((oo) => oo.issue[0].diagnostics);
      expect(summaries).toEqual(['Patient.ndjson: 1500 Patient resources imported, 0 lines not imported']);
      const patients = second.store.db.collection('Patient');
      expect(await patients.countDocuments({})).toBe(1500);
      // A line stored twice would be at version 2.
      expect(await patients.countDocuments({ vid: { $ne: 1 } })).toBe(0);
    } finally {
      await second.close();
    }
  }, 120_000);
});
