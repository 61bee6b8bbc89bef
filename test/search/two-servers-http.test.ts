import fs from 'node:fs';
import type { CapabilityStatement } from 'fhir/r4';
import { startTestServer, type TestServer } from '../helpers/server';
import { profileFolder, searchParameter } from './helpers/profile-folder';

/** A profile folder with one token SearchParameter on Observation's status. */
const statusFolder = (code: string) => profileFolder({ [`${code}.json`]: searchParameter(code, 'Observation.status', 'Observation', 'token') });

/**
 * Two servers started in one process (as the bench, the loader and these tests do) with different profile folders
 * and ports: each searches with its own parameters and its own base URL, whichever started last.
 */
describe('two servers in one process', () => {
  const dirs = [statusFolder('first-status'), statusFolder('second-status')];
  let first: TestServer;
  let second: TestServer;
  beforeAll(async () => {
    first = await startTestServer({ PROFILES_DIR: dirs[0] });
    second = await startTestServer({ PROFILES_DIR: dirs[1] });
    for (const server of [first, second]) {
      expect((await server.json('PUT', 'Patient/p1', { resourceType: 'Patient', id: 'p1' })).status).toBe(201);
      const obs = { resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/p1' } };
      expect((await server.json('PUT', 'Observation/o1', obs)).status).toBe(201);
    }
  }, 60_000);
  afterAll(async () => {
    await Promise.all([first?.close(), second?.close()]);
    dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true }));
  });

  const strictSearch = (server: TestServer, query: string) => server.json('GET', `Observation?${query}`, undefined, { prefer: 'handling=strict' });

  it("each searches with its own profile folder's parameter and refuses the other's", async () => {
    expect((await strictSearch(first, 'first-status=final')).body.total).toBe(1);
    expect((await strictSearch(first, 'second-status=final')).status).toBe(400);
    expect((await strictSearch(second, 'second-status=final')).body.total).toBe(1);
    expect((await strictSearch(second, 'first-status=final')).status).toBe(400);
  });

  it('each lists only its own in the CapabilityStatement', async () => {
    const names = async (server: TestServer) => {
      const cs = (await server.json<CapabilityStatement>('GET', 'metadata')).body;
      return cs.rest![0].resource!.find((r) => r.type === 'Observation')!.searchParam!.map((p) => p.name);
    };
    expect(await names(first)).toContain('first-status');
    expect(await names(first)).not.toContain('second-status');
    expect(await names(second)).toContain('second-status');
    expect(await names(second)).not.toContain('first-status');
  });

  it('each takes an absolute reference to its own base URL as Type/id, and not one to the other', async () => {
    expect(first.baseUrl).not.toBe(second.baseUrl);
    const subject = async (server: TestServer, base: string) => (await strictSearch(server, `subject=${encodeURIComponent(`${base}/Patient/p1`)}`)).body.total;
    expect(await subject(first, first.baseUrl)).toBe(1);
    expect(await subject(first, second.baseUrl)).toBe(0);
    expect(await subject(second, second.baseUrl)).toBe(1);
    expect(await subject(second, first.baseUrl)).toBe(0);
  });
});
