import { startTestServer, type TestServer } from '../helpers/server';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ BINARY_BODY_LIMIT: '10kb', BODY_LIMIT: '64kb' });
  await server.json('PUT', 'Patient/p1', { resourceType: 'Patient', id: 'p1' });
});

afterAll(async () => {
  await server.close();
});

const post = (body: Buffer | string, headers: Record<string, string>) =>
  server.api('Binary', { method: 'POST', headers: { accept: 'application/fhir+json', ...headers }, body });

describe('raw Binary writes', () => {
  test('the media type becomes contentType, parameters kept; X-Security-Context becomes securityContext', async () => {
    const res = await post('hello', { 'content-type': 'text/plain; charset=utf-8', 'x-security-context': `${server.baseUrl}/Patient/p1` });
    expect(res.status).toBe(201);
    const body = (await res.json()) as any;
    expect(res.headers.get('location')).toBe(`${server.baseUrl}/Binary/${body.id}/_history/1`);
    expect(body).toMatchObject({ resourceType: 'Binary', contentType: 'text/plain; charset=utf-8', securityContext: { reference: 'Patient/p1' } });
    expect(body.data).toBeUndefined();
    const read = await server.api(`Binary/${body.id}`);
    expect(read.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await read.text()).toBe('hello');
  });

  test('an X-Security-Context that is not a reference of this server is 400; one to a missing resource is refused', async () => {
    expect((await post('x', { 'content-type': 'text/plain', 'x-security-context': 'https://elsewhere.example/Patient/1' })).status).toBe(400);
    const missing = await post('x', { 'content-type': 'text/plain', 'x-security-context': 'Patient/nobody' });
    expect(missing.status).toBeGreaterThanOrEqual(400);
    expect(missing.status).toBeLessThan(500);
  });

  test('a raw body over BINARY_BODY_LIMIT is 413 naming the limit, declared or streamed, and nothing is stored', async () => {
    const before = await server.json('GET', 'Binary?_summary=count');
    const declared = await post(Buffer.alloc(11 * 1024), { 'content-type': 'application/octet-stream' });
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as any).issue[0].diagnostics).toMatch(/limit of 10240 bytes/);
    // Without Content-Length (chunked), the limit is counted as the bytes arrive.
    const chunks = async function* () {
      for (let i = 0; i < 11; i++) yield Buffer.alloc(1024, i);
    };
    const streamed = await server.api('Binary', {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: ReadableStream.from(chunks()),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    const after = await server.json('GET', 'Binary?_summary=count');
    expect(after.body.total).toBe(before.body.total);
  });

  test('the JSON body limit stays for FHIR JSON; a raw body may exceed it up to its own limit', async () => {
    const server2 = await startTestServer({ BINARY_BODY_LIMIT: '100kb', BODY_LIMIT: '2kb' });
    try {
      const res = await server2.api('Binary', { method: 'POST', headers: { 'content-type': 'image/png' }, body: Buffer.alloc(50 * 1024, 7) });
      expect(res.status).toBe(201);
      const json = await server2.json('POST', 'Patient', { resourceType: 'Patient', name: [{ text: 'x'.repeat(3000) }] });
      expect(json.status).toBe(413);
    } finally {
      await server2.close();
    }
  });

  test('a Binary sent as FHIR JSON is an ordinary create, read back as sent', async () => {
    const data = Buffer.from('as json').toString('base64');
    const res = await server.json('POST', 'Binary', { resourceType: 'Binary', contentType: 'text/plain', data });
    expect(res.status).toBe(201);
    expect(res.body.data).toBe(data);
    expect(await (await server.api(`Binary/${res.body.id}`)).text()).toBe('as json');
  });

  test('FHIR XML is 415; application/xml is content like any other', async () => {
    expect((await post('<Binary/>', { 'content-type': 'application/fhir+xml' })).status).toBe(415);
    const cda = await post('<ClinicalDocument/>', { 'content-type': 'application/xml' });
    expect(cda.status).toBe(201);
    const read = await server.api(`Binary/${((await cda.json()) as any).id}`);
    expect(await read.text()).toBe('<ClinicalDocument/>');
  });
});
