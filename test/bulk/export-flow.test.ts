import { observation, patient, startBulkServer, type BulkTestServer } from './helpers';

describe('system-level $export', () => {
  let server: BulkTestServer;
  beforeAll(async () => {
    server = await startBulkServer();
    await server.seed([patient('p1', 'Alpha'), patient('p2', 'Beta'), observation('o1', 'p1'), observation('o2', 'p2')]);
  });
  afterAll(() => server.close());

  it('answers 202 with a Content-Location, then 200 with a manifest listing one file per type', async () => {
    const res = await server.kickoff('$export');
    expect(res.status).toBe(202);
    const location = res.headers.get('content-location') as string;
    expect(location).toMatch(new RegExp(`^${server.baseUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/\\$export-status/[0-9a-f-]+$`));

    const done = await server.waitDone(location);
    expect(done.status).toBe(200);
    expect(done.headers.get('content-type')).toMatch(/^application\/json/);
    expect(done.headers.get('expires')).toBeTruthy();
    const m = done.body;
    // This server authenticates no one: its files download without a token (fetched so below).
    expect(m.requiresAccessToken).toBe(false);
    expect(m.request).toBe(`${server.baseUrl}/$export`);
    expect(Date.parse(m.transactionTime)).not.toBeNaN();
    expect(m.error).toEqual([]);
    const byType = Object.fromEntries(m.output.map((o: any) => [o.type, o]));
    expect(Object.keys(byType).sort()).toEqual(['Observation', 'Patient']);
    expect(byType.Patient.count).toBe(2);

    const file = await fetch(byType.Patient.url);
    expect(file.headers.get('content-type')).toBe('application/fhir+ndjson');
    const patients = (await file.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(patients.map((p) => p.id).sort()).toEqual(['p1', 'p2']);
    expect(patients[0].meta.versionId).toBe('1');
  });

  it('exports only the types named by _type', async () => {
    const done = await server.waitDone((await server.kickoff('$export?_type=Observation')).headers.get('content-location') as string);
    expect(done.body.output.map((o: any) => o.type)).toEqual(['Observation']);
  });

  it('accepts the parameters as a POST Parameters body', async () => {
    const body = {
      resourceType: 'Parameters',
      parameter: [
        { name: '_type', valueString: 'Patient' },
        { name: '_outputFormat', valueString: 'ndjson' },
      ],
    };
    const res = await server.kickoff('$export', { body });
    expect(res.status).toBe(202);
    const done = await server.waitDone(res.headers.get('content-location') as string);
    expect(done.body.output.map((o: any) => o.type)).toEqual(['Patient']);
  });

  it('returns 400 without Prefer: respond-async', async () => {
    const res = await server.api('$export', { headers: { accept: 'application/fhir+json' } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).resourceType).toBe('OperationOutcome');
  });

  it.each([
    ['_outputFormat=text/csv'],
    ['_since=yesterday'],
    ['_type=Not-A-Type'],
    ['_type=Zzzz'],
    ['_foo=bar'],
    ['includeAssociatedData=LatestProvenanceResources'],
    ['_typeFilter=Observation'],
    ['_typeFilter=Observation%3F_sort%3Ddate'],
  ])('returns 400 for %s', async (query) => {
    const res = await server.kickoff(`$export?${query}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).resourceType).toBe('OperationOutcome');
  });

  it('ignores an unsupported parameter under Prefer: handling=lenient and reports it in the error file', async () => {
    const res = await server.kickoff('$export?_type=Patient&_foo=bar', { headers: { prefer: 'respond-async, handling=lenient' } });
    expect(res.status).toBe(202);
    const done = await server.waitDone(res.headers.get('content-location') as string);
    expect(done.body.output.map((o: any) => o.type)).toEqual(['Patient']);
    expect(done.body.error).toHaveLength(1);
    expect(done.body.error[0].type).toBe('OperationOutcome');
    const [oo] = await server.lines(done.body.error[0].url);
    expect(oo.resourceType).toBe('OperationOutcome');
    expect(oo.issue[0].diagnostics).toContain('_foo');
  });

  it('still rejects an unknown _outputFormat under lenient handling', async () => {
    const res = await server.kickoff('$export?_outputFormat=text/csv', { headers: { prefer: 'respond-async, handling=lenient' } });
    expect(res.status).toBe(400);
  });

  it('applies _elements, keeping mandatory elements and tagging the resource SUBSETTED', async () => {
    const done = await server.waitDone((await server.kickoff('$export?_type=Observation&_elements=Observation.subject')).headers.get('content-location') as string);
    const [o] = await server.lines(done.body.output[0].url);
    expect(o.subject).toBeDefined();
    expect(o.status).toBeDefined(); // mandatory (1..1)
    expect(o.meta.tag).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'SUBSETTED' })]));
  });

  it('is not offered on other types or instances', async () => {
    expect((await server.kickoff('Observation/$export')).status).toBe(404);
    expect((await server.kickoff('Patient/p1/$export')).status).toBe(404);
  });

  it('answers 404 for an unknown status URL', async () => {
    const res = await fetch(`${server.baseUrl}/$export-status/00000000-0000-0000-0000-000000000000`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).resourceType).toBe('OperationOutcome');
  });
});
