import path from 'node:path';
import { runLoad } from '../../src/loader/command';
import { startTestServer, type TestServer } from '../helpers/server';
import { tempDir } from './fixtures';

/**
 * The sample data README's "Loading data" points a first-time user at (samples/, shipped in the repository) loads
 * without a single failure, and gives the resources README says it holds.
 */
const SAMPLES = path.join(__dirname, '..', '..', 'samples');

async function load(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  });
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    return { code: await runLoad(args, {}), stderr };
  } finally {
    err.mockRestore();
    out.mockRestore();
  }
}

describe('the sample data shipped in samples/', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  const total = async (query: string) => (await server.json('GET', `${query}${query.includes('?') ? '&' : '?'}_summary=count`)).body.total;

  it('loads the Synthea transaction bundles (hospital and practitioners first), every entry stored', async () => {
    const state = path.join(await tempDir(), 'state.json');
    const { code, stderr } = await load(['--url', server.baseUrl, '--no-progress', '--state', state, path.join(SAMPLES, 'synthea-bundles')]);
    expect({ code, stderr: stderr.includes('failures') ? stderr : '' }).toEqual({ code: 0, stderr: '' });
    expect(await total('Patient?family=Atencio')).toBe(1);
    expect(await total('Patient?family=Schmitt')).toBe(1);
    expect(await total('Organization')).toBeGreaterThan(0);
  });

  it('loads the US Core NDJSON export (conditional references to practitioners resolved), every line stored', async () => {
    const state = path.join(await tempDir(), 'state.json');
    const { code, stderr } = await load(['--url', server.baseUrl, '--no-progress', '--state', state, path.join(SAMPLES, 'us-core-ndjson')]);
    expect({ code, stderr: stderr.includes('failures') ? stderr : '' }).toEqual({ code: 0, stderr: '' });
    expect(await total('DocumentReference?patient=bb6a9034-2f23-2508-d29d-35efee156dc9')).toBeGreaterThan(0);
    expect(await total('Patient?_profile=http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient')).toBe(2);
  });
});
