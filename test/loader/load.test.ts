import path from 'node:path';
import type { Bundle } from 'fhir/r4';
import { resolveInputs } from '../../src/loader/inputs';
import { loadFiles } from '../../src/loader/load';
import { ResumeState } from '../../src/loader/resume-state';
import { startTestServer, type TestServer } from '../helpers/server';
import { patient, patientTransaction, tempDir, writeJson, writeLines } from './fixtures';

async function count(server: TestServer, query: string): Promise<number> {
  const res = await server.json<Bundle>('GET', `${query}${query.includes('?') ? '&' : '?'}_summary=count`);
  return res.body.total ?? -1;
}

describe('loading files into a server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('stores a transaction bundle with its urn:uuid references rewritten to the assigned ids', async () => {
    const dir = await tempDir();
    await writeJson(dir, 'Alice_Transaction.json', patientTransaction('Tx', 3));
    const summary = await loadFiles({ baseUrl: server.baseUrl, inputs: await resolveInputs([dir]) });
    expect(summary.failures).toEqual([]);
    expect(summary.resources).toBe(4);
    const patients = await server.json<Bundle>('GET', 'Patient?family=Tx');
    const id = patients.body.entry?.[0]?.resource?.id;
    expect(id).toBeDefined();
    expect(await count(server, `Encounter?subject=Patient/${id}`)).toBe(3);
  });

  it('stores NDJSON resources under their own ids, in batches', async () => {
    const dir = await tempDir();
    await writeLines(dir, 'Patient.ndjson', [patient('nd-1'), patient('nd-2'), patient('nd-3')]);
    const summary = await loadFiles({ baseUrl: server.baseUrl, inputs: await resolveInputs([dir]), batchSize: 2 });
    expect(summary).toMatchObject({ resources: 3, failures: [] });
    const read = await server.json('GET', 'Patient/nd-2');
    expect(read.status).toBe(200);
    expect(read.body.name).toEqual([{ family: 'Doe' }]);
  });

  it('reports NDJSON failures by file and line with the server diagnostics, and stores the other lines', async () => {
    const dir = await tempDir();
    const file = await writeLines(dir, 'Patient.ndjson', [
      patient('line-1'),
      '{"resourceType":"Patient",',
      { resourceType: 'Patient', id: 'line-3', gender: 'robot' } as never,
      patient('line-4'),
    ]);
    const summary = await loadFiles({ baseUrl: server.baseUrl, inputs: await resolveInputs([file]), batchSize: 2 });
    expect(summary.resources).toBe(2);
    expect(summary.failures).toEqual([
      expect.objectContaining({ file, line: 2, diagnostics: expect.stringMatching(/not valid JSON/) }),
      expect.objectContaining({ file, line: 3, status: 400, diagnostics: expect.stringMatching(/robot/) }),
    ]);
    expect((await server.json('GET', 'Patient/line-4')).status).toBe(200);
  });

  it('reports a refused transaction by the entry the server names, and stores nothing of it', async () => {
    const dir = await tempDir();
    const bundle = patientTransaction('Refused', 2);
    (bundle.entry![2].resource as unknown as { status: string }).status = 'not-a-status';
    const file = await writeJson(dir, 'Refused.json', bundle);
    const summary = await loadFiles({ baseUrl: server.baseUrl, inputs: await resolveInputs([file]) });
    expect(summary.resources).toBe(0);
    expect(summary.failures).toEqual([expect.objectContaining({ file, entry: 2, status: 400 })]);
    expect(await count(server, 'Patient?family=Refused')).toBe(0);
  });
});

describe('resuming an interrupted load', () => {
  it('skips completed files and NDJSON line ranges, and sends again only what failed', async () => {
    const dir = await tempDir();
    await writeJson(dir, 'A_Patient.json', patientTransaction('Resume', 1));
    await writeJson(dir, 'B_Observation.json', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' } }, request: { method: 'POST', url: 'Observation' } }],
    });
    await writeLines(dir, 'Mixed.ndjson', [
      patient('r-1'),
      patient('r-2'),
      patient('r-3'),
      { resourceType: 'Observation', id: 'r-4', status: 'final', code: { text: 'x' } } as never,
      patient('r-5'),
    ]);
    const inputs = await resolveInputs([dir]);
    const stateFile = path.join(dir, 'load-state.json');

    // The first server does not serve Observation: everything else goes through.
    const patientsOnly = await startTestServer({ FHIR_RESOURCE_TYPES: 'Patient,Encounter' });
    const first = await loadFiles({ baseUrl: patientsOnly.baseUrl, inputs, batchSize: 2, state: await ResumeState.open(stateFile, 'target') });
    await patientsOnly.close();
    expect(first.failures.map((f) => [path.basename(f.file), f.entry ?? f.line])).toEqual([
      ['B_Observation.json', 0],
      ['Mixed.ndjson', 4],
    ]);

    // The second sees only what the first did not complete: the Observation bundle and the NDJSON batch of lines 3-4.
    const full = await startTestServer();
    try {
      const second = await loadFiles({ baseUrl: full.baseUrl, inputs, batchSize: 2, resume: true, state: await ResumeState.open(stateFile, 'target') });
      expect(second).toMatchObject({ failures: [], skippedFiles: 1, skippedLines: 3, resources: 3 });
      expect(await count(full, 'Patient')).toBe(1);
      expect((await full.json('GET', 'Patient/r-3')).status).toBe(200);
      expect(await count(full, 'Observation')).toBe(2);

      // Everything is now recorded as done: a third run sends nothing.
      const third = await loadFiles({ baseUrl: full.baseUrl, inputs, resume: true, state: await ResumeState.open(stateFile, 'target') });
      expect(third).toMatchObject({ failures: [], skippedFiles: 3, resources: 0 });
    } finally {
      await full.close();
    }
  });
});

describe('NDJSON grouped as transactions', () => {
  it('names the failing line and the group of lines that was rolled back with it', async () => {
    const server = await startTestServer();
    try {
      const dir = await tempDir();
      const file = await writeLines(dir, 'Patient.ndjson', [
        patient('tx-1'),
        { resourceType: 'Patient', id: 'tx-2', gender: 'robot' } as never,
        patient('tx-3'),
        patient('tx-4'),
      ]);
      const summary = await loadFiles({ baseUrl: server.baseUrl, inputs: await resolveInputs([file]), batchSize: 3, ndjsonAs: 'transaction' });
      expect(summary.resources).toBe(1);
      expect(summary.failures).toEqual([expect.objectContaining({ file, line: 2, lines: [1, 3], status: 400 })]);
      expect((await server.json('GET', 'Patient/tx-1')).status).toBe(404);
      expect((await server.json('GET', 'Patient/tx-4')).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
