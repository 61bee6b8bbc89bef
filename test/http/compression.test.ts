import { gunzipSync } from 'node:zlib';
import { rawGet } from '../helpers/raw-http';
import { patient, serverForThisFile, uniqueSystem } from '../router/support';

const server = serverForThisFile();

describe('compressed API responses (Accept-Encoding)', () => {
  it('gzips a FHIR JSON response for a client that accepts gzip, and says so in Vary', async () => {
    const res = await rawGet(`${server().baseUrl}/metadata`, { 'accept-encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers.vary).toMatch(/accept-encoding/i);
    expect(res.headers['content-type']).toMatch(/^application\/fhir\+json/);
    expect(JSON.parse(gunzipSync(res.body).toString('utf8'))).toMatchObject({ resourceType: 'CapabilityStatement' });
  });

  it('gzips a search Bundle as well', async () => {
    const system = uniqueSystem();
    for (let i = 0; i < 10; i++) expect((await server().json('POST', 'Patient', patient({ identifier: [{ system, value: String(i) }] }))).status).toBe(201);
    const res = await rawGet(`${server().baseUrl}/Patient?identifier=${encodeURIComponent(`${system}|`)}`, { 'accept-encoding': 'gzip, deflate' });
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(res.body).toString('utf8'))).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 10 });
  });

  it.each([
    ['no Accept-Encoding', {}],
    ['identity only', { 'accept-encoding': 'identity' }],
    ['gzip refused with q=0', { 'accept-encoding': 'gzip;q=0' }],
  ])('sends the body as is for %s', async (_what, headers: Record<string, string>) => {
    const res = await rawGet(`${server().baseUrl}/metadata`, headers);
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(res.body.toString('utf8'))).toMatchObject({ resourceType: 'CapabilityStatement' });
  });

  it('leaves a small body (under 1 KB) uncompressed: gzip would only add to it', async () => {
    const res = await rawGet(`${server().baseUrl}/Patient/no-such-patient`, { 'accept-encoding': 'gzip' });
    expect(res.status).toBe(404);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(res.body.toString('utf8'))).toMatchObject({ resourceType: 'OperationOutcome' });
  });

  it('answers HEAD with no body and no encoding', async () => {
    const res = await rawGet(`${server().baseUrl}/metadata`, { 'accept-encoding': 'gzip' }, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.body.length).toBe(0);
  });
});
