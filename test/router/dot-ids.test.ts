import http from 'node:http';
import { checkResource } from '../../src/validation';
import { expectOutcome, type JsonResponse, patient, serverForThisFile } from './support';

const server = serverForThisFile();

/** A request sent with its path exactly as given: fetch would normalise `Patient/..` away before sending. */
function rawRequest(method: string, path: string, body: unknown): Promise<JsonResponse> {
  const url = new URL(server().baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, method, path: `${url.pathname}/${path}`, headers: { 'content-type': 'application/fhir+json' } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: new Headers(), body: text ? JSON.parse(text) : undefined }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('ids made only of dots', () => {
  it.each(['.', '..', '...'])('refuses to create Patient/%s by PUT with a 400 OperationOutcome', async (id) => {
    expectOutcome(await rawRequest('PUT', `Patient/${id}`, patient({ id })), 400);
  });

  it('refuses them in the body of a conditional update and of a transaction entry', async () => {
    expectOutcome(await server().json('PUT', 'Patient?identifier=urn:x|dots', patient({ id: '..' })), 400);
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ resource: patient({ id: '..' }), request: { method: 'PUT', url: 'Patient/..' } }],
    };
    const res = await server().json('POST', '', bundle);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('dots');
  });

  it('reports an id of dots as a structural error wherever the id type occurs', async () => {
    const result = await checkResource({ resourceType: 'Observation', id: '..', status: 'final', code: { text: 'x' } });
    expect(result.structural).toBe(true);
    expect(result.issues).toContainEqual(expect.objectContaining({ expression: ['Observation.id'], diagnostics: expect.stringContaining('dots') }));
  });

  it('still accepts ids with dots among other characters', async () => {
    expect((await rawRequest('PUT', 'Patient/a.b..c', patient({ id: 'a.b..c' }))).status).toBe(201);
  });
});
