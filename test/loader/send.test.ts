import { interpretResponse, postBundle } from '../../src/loader/send';

const outcome = (diagnostics: string, expression?: string[]) => ({
  resourceType: 'OperationOutcome',
  issue: [
    { severity: 'error', code: 'invalid', diagnostics, expression },
    { severity: 'warning', code: 'informational', diagnostics: 'ignored' },
  ],
});

describe('reading bundle responses', () => {
  it('counts 2xx entries of a batch-response as stored and reports the others by entry index with their diagnostics', () => {
    const body = {
      resourceType: 'Bundle',
      type: 'batch-response',
      entry: [
        { response: { status: '201 Created' } },
        { response: { status: '400 Bad Request', outcome: outcome('Invalid date "x"') } },
        { response: { status: '200 OK' } },
      ],
    };
    expect(interpretResponse(200, body, 3)).toEqual({ status: 200, stored: 2, failures: [{ entry: 1, status: 400, diagnostics: 'Invalid date "x"' }] });
  });

  it('reads the failing entry of a refused transaction from the OperationOutcome', () => {
    const body = outcome('Bundle.entry[7]: Code 42 is not one of male, female', ['Bundle.entry[7]', 'Patient.gender']);
    expect(interpretResponse(400, body, 10)).toEqual({
      status: 400,
      stored: 0,
      failures: [{ entry: 7, status: 400, diagnostics: 'Bundle.entry[7]: Code 42 is not one of male, female' }],
    });
  });

  it('reports a non-FHIR error body as text, and a response with entries missing', () => {
    expect(interpretResponse(502, '<html>Bad gateway</html>', 1).failures).toEqual([{ entry: undefined, status: 502, diagnostics: '<html>Bad gateway</html>' }]);
    const partial = interpretResponse(200, { resourceType: 'Bundle', type: 'batch-response', entry: [{ response: { status: '201 Created' } }] }, 2);
    expect(partial.failures).toEqual([{ status: 200, diagnostics: 'the server answered 1 of 2 entries' }]);
  });

  it('turns an unreachable server into a failure instead of an exception', async () => {
    const r = await postBundle('http://127.0.0.1:1/fhir', '{}', 1);
    expect(r.status).toBe(0);
    expect(r.failures[0].diagnostics).toMatch(/cannot reach http:\/\/127\.0\.0\.1:1\/fhir/);
  });
});
