import { startTestServer } from '../helpers/server';
import { serverForThisFile } from '../router/support';

const server = serverForThisFile();

describe('health endpoints (outside the FHIR base, for orchestrators)', () => {
  it('GET /healthz answers 200 while the process is alive', async () => {
    const res = await fetch(`${server().url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok' });
  });

  it('GET /readyz answers 200 when the store is reachable', async () => {
    const res = await fetch(`${server().url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ready' });
  });

  it('does not serve the health endpoints under the FHIR base (they are not resource types)', async () => {
    const res = await server().json('GET', 'healthz');
    expect(res.status).toBe(404);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });
});

describe('readiness when the store is gone', () => {
  it('GET /readyz answers 503 while /healthz stays 200', async () => {
    const lonely = await startTestServer();
    try {
      await lonely.store.client.close();
      const ready = await fetch(`${lonely.url}/readyz`);
      expect(ready.status).toBe(503);
      expect((await fetch(`${lonely.url}/healthz`)).status).toBe(200);
    } finally {
      await lonely.close();
    }
  });
});
