import { startTestServer, type TestServer } from '../helpers/server';

describe('$export in the production wiring', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('exports a resource created through the API, and declares the operation in the CapabilityStatement', async () => {
    expect((await server.json('PUT', 'Patient/wired', { resourceType: 'Patient', id: 'wired', gender: 'female' })).status).toBe(201);
    const kick = await server.api('$export?_type=Patient', { headers: { prefer: 'respond-async', accept: 'application/fhir+json' } });
    expect(kick.status).toBe(202);
    const location = kick.headers.get('content-location') as string;
    let res = await fetch(location);
    while (res.status === 202) {
      await res.arrayBuffer();
      await new Promise((r) => setTimeout(r, 50));
      res = await fetch(location);
    }
    expect(res.status).toBe(200);
    const manifest = (await res.json()) as any;
    // No authorization configured: the files download without a token, and the manifest says so.
    expect(manifest.requiresAccessToken).toBe(false);
    const text = await (await fetch(manifest.output[0].url)).text();
    expect(JSON.parse(text.trim())).toMatchObject({ resourceType: 'Patient', id: 'wired', gender: 'female' });

    const cs = (await server.json('GET', 'metadata')).body;
    expect(cs.rest[0].operation).toEqual(expect.arrayContaining([{ name: 'export', definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export' }]));
  });
});
