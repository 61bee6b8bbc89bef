import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server';
import { runLoadCli, tempDir } from './fixtures';

/**
 * The sample data README's "Loading data" points a first-time user at (samples/, shipped in the repository) loads
 * without a single failure, and gives the resources README says it holds.
 */
const SAMPLES = path.join(__dirname, '..', '..', 'samples');

describe('the sample data shipped in samples/', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  /** Loads one folder of samples/ into the server; the loader must exit 0 and report no failure. */
  async function loadsWithoutFailure(folder: string): Promise<void> {
    const state = path.join(await tempDir(), 'state.json');
    const { code, stderr } = await runLoadCli(['--url', server.baseUrl, '--no-progress', '--state', state, path.join(SAMPLES, folder)]);
    expect({ code, stderr: stderr.includes('failures') ? stderr : '' }).toEqual({ code: 0, stderr: '' });
  }

  const total = async (query: string) => (await server.json('GET', `${query}${query.includes('?') ? '&' : '?'}_summary=count`)).body.total;

  it('loads the Synthea transaction bundles (hospital and practitioners first), every entry stored', async () => {
    await loadsWithoutFailure('synthea-bundles');
    expect(await total('Patient?family=Atencio')).toBe(1);
    expect(await total('Patient?family=Schmitt')).toBe(1);
    expect(await total('Organization')).toBeGreaterThan(0);
  });

  it('loads the US Core NDJSON export (conditional references to practitioners resolved), every line stored', async () => {
    await loadsWithoutFailure('us-core-ndjson');
    expect(await total('DocumentReference?patient=bb6a9034-2f23-2508-d29d-35efee156dc9')).toBeGreaterThan(0);
    expect(await total('Patient?_profile=http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient')).toBe(2);
  });
});
