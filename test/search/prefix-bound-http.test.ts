import { startTestServer, type TestServer } from '../helpers/server';

/**
 * Prefix searches (string, uri:below) are one index range; its upper bound must sit above every continuation of
 * the prefix in MongoDB's UTF-8 byte order, including characters outside the Basic Multilingual Plane.
 */
describe('prefix search bounds over HTTP', () => {
  let server: TestServer;
  const names: Record<string, string> = { cjk: 'Li\u{2000B}', bmpmax: 'Li\uffff', liz: 'Liz', lj: 'Lj' };
  beforeAll(async () => {
    server = await startTestServer();
    for (const [id, name] of Object.entries(names)) {
      const patient = await server.json('PUT', `Patient/${id}`, { resourceType: 'Patient', id, name: [{ family: name }] });
      expect(patient.status).toBe(201);
      const url = `http://example.org/${name.toLowerCase()}`;
      const vs = await server.json('PUT', `ValueSet/${id}`, { resourceType: 'ValueSet', id, status: 'active', url });
      expect(vs.status).toBe(201);
    }
  });
  afterAll(() => server.close());

  const ids = async (query: string): Promise<string[]> => {
    const res = await server.json('GET', `${query}&_count=50`);
    expect(res.status).toBe(200);
    return (res.body.entry ?? []).map((e: { resource: { id: string } }) => e.resource.id).sort();
  };

  it('string search finds names continuing the prefix with a character beyond U+FFFF', async () => {
    expect(await ids('Patient?family=li')).toEqual(['bmpmax', 'cjk', 'liz']);
  });
  it('uri:below finds urls continuing the prefix with a character beyond U+FFFF', async () => {
    expect(await ids(`ValueSet?url:below=${encodeURIComponent('http://example.org/li')}`)).toEqual(['bmpmax', 'cjk', 'liz']);
  });
  it('a prefix ending in a character beyond U+FFFF finds exactly its continuations', async () => {
    expect(await ids(`Patient?family=${encodeURIComponent('Li\u{2000B}')}`)).toEqual(['cjk']);
  });
});
