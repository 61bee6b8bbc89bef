import { startTestServer, type TestServer } from '../helpers/server';
import { type SecureServer, startSecureServer } from '../security/support';

const scrape = async (url: string, token?: string) => {
  const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
};

/** The value of one sample line of the Prometheus text: `name{labels} value`. */
function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('GET /metrics on the API port, in protected mode', () => {
  let server: TestServer;
  beforeAll(async () => (server = await startTestServer()));
  afterAll(() => server.close());

  it('counts requests by interaction, type and status, and times them', async () => {
    for (let i = 0; i < 3; i++) await (await server.api('Patient/metrics-missing')).arrayBuffer();
    const { status, type, text } = await scrape(`${server.url}/metrics`);
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(sample(text, 'fhirstone_http_requests_total', 'interaction="read",type="Patient",status="404"')).toBeGreaterThanOrEqual(3);
    expect(sample(text, 'fhirstone_http_request_duration_seconds_count', 'interaction="read",type="Patient"')).toBeGreaterThanOrEqual(3);
    expect(text).toMatch(/^fhirstone_process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^fhirstone_nodejs_heap_size_used_bytes \d/m);
  });

  it('labels a request no route matched as interaction none, without its path', async () => {
    await (await server.api('Nonsense/x/y/z/secret-looking-id')).arrayBuffer();
    const { text } = await scrape(`${server.url}/metrics`);
    expect(sample(text, 'fhirstone_http_requests_total', 'interaction="none",type="",status="404"')).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain('secret-looking-id');
  });

  it('reports jobs per kind and state, and the audit queue', async () => {
    const kickoff = await server.api('$export', { headers: { accept: 'application/fhir+json', prefer: 'respond-async' } });
    expect(kickoff.status).toBe(202);
    const { text } = await scrape(`${server.url}/metrics`);
    const exports = ['queued', 'running', 'completed'].map((s) => sample(text, 'fhirstone_jobs', `kind="export",state="${s}"`) ?? 0);
    expect(exports.reduce((a, b) => a + b)).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^fhirstone_audit_queue_depth \d+$/m);
  });

  it('does not time store commands unless asked (METRICS_STORE_COMMANDS)', async () => {
    expect((await scrape(`${server.url}/metrics`)).text).not.toMatch(/^fhirstone_store_command_duration_seconds_count/m);
  });
});

describe('METRICS_PORT, METRICS_STORE_COMMANDS and METRICS=off', () => {
  it('serves /metrics on a port of its own only, with store command times', async () => {
    const server = await startTestServer({ METRICS_PORT: '0', METRICS_STORE_COMMANDS: 'true' });
    try {
      await (await server.api('Patient/metrics-port')).arrayBuffer();
      expect((await scrape(`${server.url}/metrics`)).status).toBe(404);
      const { status, text } = await scrape(server.metricsUrl!);
      expect(status).toBe(200);
      expect(sample(text, 'fhirstone_store_command_duration_seconds_count', 'command="find",outcome="ok"')).toBeGreaterThanOrEqual(1);
      expect((await fetch(server.metricsUrl!.replace('/metrics', '/fhir/Patient'))).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('serves nothing with METRICS=off', async () => {
    const server = await startTestServer({ METRICS: 'off' });
    try {
      expect((await scrape(`${server.url}/metrics`)).status).toBe(404);
      expect(server.metricsUrl).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});

describe('GET /metrics with SMART authorization configured', () => {
  let server: SecureServer;
  beforeAll(async () => (server = await startSecureServer()));
  afterAll(() => server.close());

  it('refuses a request without a token (401)', async () => {
    expect((await scrape(`${server.url}/metrics`)).status).toBe(401);
  });

  it("refuses a patient's or a user's token (403), and a backend client's without a system scope", async () => {
    const patient = await server.sign({ scope: 'patient/*.read', patient: 'p1' });
    const user = await server.sign({ scope: 'user/*.read', fhirUser: 'Practitioner/1', sub: 'dr-1' });
    const noSystemScope = await server.sign({ scope: 'user/Patient.read' });
    for (const token of [patient, user, noSystemScope]) expect((await scrape(`${server.url}/metrics`, token)).status).toBe(403);
  });

  it("answers a backend client's system token", async () => {
    const token = await server.sign({ scope: 'system/Patient.read' });
    const { status, text } = await scrape(`${server.url}/metrics`, token);
    expect(status).toBe(200);
    expect(text).toContain('fhirstone_http_requests_total');
  });
});
