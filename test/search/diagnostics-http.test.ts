import fs from 'node:fs';
import path from 'node:path';
import type { SearchHealth } from '../../src/search';
import { startTestServer, type TestServer } from '../helpers/server';
import { profileFolder, searchParameter } from './helpers/profile-folder';

/**
 * Search must not fail silently: a profile package's SearchParameter that cannot be used, and a parameter whose
 * expression throws on a resource at index-on-write, are reported by `/healthz` (and warned about in the log).
 */
describe('search diagnostics in /healthz', () => {
  let server: TestServer;
  let dir: string;
  beforeAll(async () => {
    dir = profileFolder({
      'broken.json': searchParameter('broken', "Patient.name.where(family = 'x'"),
      // Compiles, but single() throws on a name with two given names.
      'one-given.json': searchParameter('one-given', 'Patient.name.given.single()'),
      // Throws on every AuditEvent with a type: the server's own records of requests included.
      'type-twice.json': searchParameter('type-twice', 'AuditEvent.type.code.combine(AuditEvent.type.code).single()', 'AuditEvent'),
    });
    server = await startTestServer({ PROFILES_DIR: dir });
  });
  afterAll(async () => {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const health = async (): Promise<SearchHealth & { status: string }> => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    return (await res.json()) as SearchHealth & { status: string };
  };

  it('lists a SearchParameter whose expression does not compile as skipped, with why', async () => {
    const body = await health();
    expect(body.status).toBe('ok');
    expect(body.skippedSearchParameterCount).toBe(1);
    expect(body.skippedSearchParameters).toEqual([
      { file: path.join(dir, 'broken.json'), url: 'http://example.org/SearchParameter/broken', reason: expect.stringMatching(/^expression does not compile/) },
    ]);
  });

  it('does not offer a skipped parameter for search, and writes of its type still work', async () => {
    const res = await server.json('GET', 'Patient?broken=x', undefined, { prefer: 'handling=strict' });
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect((await server.json('PUT', 'Patient/p1', { resourceType: 'Patient', id: 'p1' })).status).toBe(201);
  });

  it('counts a parameter whose expression throws at index-on-write, and still stores the resource', async () => {
    const before = (await health()).searchIndexErrors['Patient.one-given'] ?? 0;
    for (const id of ['two1', 'two2']) {
      const res = await server.json('PUT', `Patient/${id}`, { resourceType: 'Patient', id, name: [{ family: 'Two', given: ['A', 'B'] }] });
      expect(res.status).toBe(201);
    }
    const ok = await server.json('PUT', 'Patient/one', { resourceType: 'Patient', id: 'one', name: [{ family: 'One', given: ['A'] }] });
    expect(ok.status).toBe(201);
    expect((await health()).searchIndexErrors['Patient.one-given']).toBe(before + 2);
    const found = await server.json('GET', 'Patient?one-given=a');
    expect(found.body.entry.map((e: { resource: { id: string } }) => e.resource.id)).toEqual(['one']);
    expect((await server.json('GET', 'Patient?family=two')).body.total).toBe(2);
  });

  it('counts the same for AuditEvents the audit trail indexes, the records of requests included', async () => {
    expect((await server.json('GET', 'Patient?_count=1')).status).toBe(200);
    // The trail writes in order: once the client's event is stored, the record of the search before it is too.
    const created = await server.json('POST', 'AuditEvent', {
      resourceType: 'AuditEvent',
      type: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110110' },
      recorded: '2024-01-01T00:00:00Z',
      agent: [{ requestor: true, who: { display: 'tester' } }],
      source: { observer: { display: 'test' } },
    });
    expect(created.status).toBe(201);
    // The create checks index the client's event once; the trail indexes it and the search's record.
    expect((await health()).searchIndexErrors['AuditEvent.type-twice']).toBeGreaterThanOrEqual(3);
  });
});
