import type { Resource } from 'fhir/r4';
import { patient, startBulkServer, type BulkTestServer } from './helpers';

const diagnostics = async (res: Response) => ((await res.json()) as { issue: Array<{ diagnostics?: string }> }).issue.map((i) => i.diagnostics).join(' ');

describe('$export kick-off: what the IG test tools send', () => {
  let server: BulkTestServer;
  const ids = async (res: Response) => {
    expect(res.status).toBe(202);
    const done = await server.waitDone(res.headers.get('content-location') as string);
    expect(done.status).toBe(200);
    const rows: Array<{ id: string }> = [];
    for (const f of done.body.output) rows.push(...(await server.lines(f.url)));
    return rows.map((r) => r.id).sort();
  };

  beforeAll(async () => {
    server = await startBulkServer();
    await server.seed([patient('before')], new Date('2020-06-01T00:00:00Z'));
    await server.seed([patient('after')], new Date('2021-06-01T12:00:00Z'));
    const audit = {
      resourceType: 'AuditEvent',
      id: 'ae1',
      type: { code: 'rest' },
      recorded: '2021-06-01T12:00:00Z',
      agent: [{ requestor: true }],
      source: { observer: { display: 'fhirstone' } },
    };
    await server.seed([audit as Resource], new Date('2021-06-01T12:00:00Z'));
  });
  afterAll(() => server.close());

  describe('_type', () => {
    it('leaves the audit trail out of an export without _type, and exports it when _type names it', async () => {
      const types = async (res: Response) => (await server.waitDone(res.headers.get('content-location') as string)).body.output.map((f: { type: string }) => f.type);
      expect(await types(await server.kickoff('$export'))).toEqual(['Patient']);
      expect(await types(await server.kickoff('$export?_type=AuditEvent,Patient'))).toEqual(['AuditEvent', 'Patient']);
    });
  });

  describe('Accept', () => {
    it.each([['*/*'], ['application/json'], ['']])('refuses Accept: %s with a 400 OperationOutcome', async (accept) => {
      const res = await server.kickoff('$export', { headers: { accept } });
      expect(res.status).toBe(400);
      expect(await diagnostics(res)).toContain('Accept: application/fhir+json');
    });

    it('takes application/fhir+json among others and with parameters', async () => {
      expect(await ids(await server.kickoff('$export', { headers: { accept: 'application/json, application/fhir+json; fhirVersion=4.0' } }))).toEqual([
        'after',
        'before',
      ]);
    });

    it('goes on without it under Prefer: handling=lenient, and says so in the error file', async () => {
      const res = await server.kickoff('$export', { headers: { accept: '*/*', prefer: 'respond-async, handling=lenient' } });
      expect(res.status).toBe(202);
      const done = await server.waitDone(res.headers.get('content-location') as string);
      expect(done.body.output.map((f: { type: string }) => f.type)).toEqual(['Patient']);
      const [oo] = await server.lines(done.body.error[0].url);
      expect(oo.issue[0].diagnostics).toContain('Accept: application/fhir+json');
    });
  });

  describe('_since', () => {
    it('reads a date and a dateTime without a zone the same way, as UTC', async () => {
      expect(await ids(await server.kickoff('$export?_since=2021-06-01'))).toEqual(['after']);
      expect(await ids(await server.kickoff('$export?_since=2021-06-01T00:00:00'))).toEqual(['after']);
      expect(await ids(await server.kickoff('$export?_since=2021-06-01T12:00:00'))).toEqual([]);
    });

    it('refuses a _since in the future (400)', async () => {
      const res = await server.kickoff(`$export?_since=${new Date(Date.now() + 86_400_000).toISOString()}`);
      expect(res.status).toBe(400);
      expect(await diagnostics(res)).toContain('in the future');
    });

    it('says to URL-encode the + when a space arrives where the zone sign was', async () => {
      const res = await server.kickoff('$export?_since=2021-06-01T10:00:00+02:00');
      expect(res.status).toBe(400);
      expect(await diagnostics(res)).toContain('URL-encode the +');
      expect(await ids(await server.kickoff('$export?_since=2021-06-01T10:00:00%2B02:00'))).toEqual(['after']);
    });
  });
});
