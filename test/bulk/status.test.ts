import { patient, startBulkServer, type BulkTestServer } from './helpers';

/**
 * The status URL answers a Bulk Data client in the JSON it accepts: the manifest is application/json, and so is an
 * OperationOutcome (a failed or unknown job, a cancel) for a client that accepts application/json and not FHIR JSON.
 */
describe('$export-status answers in the JSON the client accepts', () => {
  let server: BulkTestServer;
  let calls = 0;
  beforeAll(async () => {
    // Accepts the filter at kick-off, then fails inside the job, as a store outage would.
    const compileFilter = async () => {
      if (++calls > 1) throw new Error('store unreachable');
      return {};
    };
    server = await startBulkServer({}, { compileFilter });
    await server.seed([patient('x')]);
  });
  afterAll(() => server.close());

  const get = (url: string, accept: string, method = 'GET') => fetch(url, { method, headers: { accept } });
  const typeOf = async (res: Response) => {
    const body = (await res.json()) as { resourceType: string };
    return { status: res.status, type: res.headers.get('content-type'), resourceType: body.resourceType };
  };
  const unknown = () => `${server.baseUrl}/$export-status/00000000-0000-0000-0000-000000000000`;

  it('answers an unknown job with a 404 OperationOutcome as application/json, or as FHIR JSON to a FHIR client', async () => {
    expect(await typeOf(await get(unknown(), 'application/json'))).toEqual({ status: 404, type: 'application/json; charset=utf-8', resourceType: 'OperationOutcome' });
    expect(await typeOf(await get(unknown(), 'application/fhir+json'))).toEqual({
      status: 404,
      type: 'application/fhir+json; charset=utf-8',
      resourceType: 'OperationOutcome',
    });
    expect(await typeOf(await get(unknown(), '*/*'))).toMatchObject({ type: 'application/fhir+json; charset=utf-8' });
  });

  it('answers a failed job with a 500 OperationOutcome as application/json', async () => {
    const res = await server.kickoff(`$export?_typeFilter=${encodeURIComponent('Patient?gender=female')}`);
    const location = res.headers.get('content-location') as string;
    expect((await server.waitDone(location)).status).toBe(500);
    expect(await typeOf(await get(location, 'application/json'))).toEqual({ status: 500, type: 'application/json; charset=utf-8', resourceType: 'OperationOutcome' });
  });

  it('answers a cancel with its OperationOutcome as application/json', async () => {
    const location = (await server.kickoff('$export?_type=Patient')).headers.get('content-location') as string;
    expect(await typeOf(await get(location, 'application/json', 'DELETE'))).toEqual({
      status: 202,
      type: 'application/json; charset=utf-8',
      resourceType: 'OperationOutcome',
    });
    expect(await typeOf(await get(location, 'application/json'))).toEqual({ status: 404, type: 'application/json; charset=utf-8', resourceType: 'OperationOutcome' });
  });

  it('sends the manifest as application/json whatever the client accepts', async () => {
    const location = (await server.kickoff('$export?_type=Patient')).headers.get('content-location') as string;
    expect((await server.waitDone(location)).status).toBe(200);
    expect((await get(location, 'application/fhir+json')).headers.get('content-type')).toBe('application/json; charset=utf-8');
  });
});
