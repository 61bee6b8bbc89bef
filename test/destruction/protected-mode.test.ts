import { startTestServer, type TestServer } from '../helpers/server';
import { REVIEW_DATE, approveBody, seedRecord } from './support';

/** Protected mode (no authorization configured) has no users: a review may run, no destruction may be approved. */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ BULK_EXPORT_POLL: '20ms' });
  await seedRecord({ json: server.json }, 'old-1', 'Protected', '2001-01-01');
});
afterAll(() => server.close());

it('reviews, but refuses to approve: destruction needs two authorised users', async () => {
  const kick = await server.json('POST', '$destruction-review', { resourceType: 'Parameters', parameter: [{ name: 'date', valueDate: REVIEW_DATE }] });
  expect(kick.status).toBe(202);
  const location = kick.headers.get('content-location') as string;
  let done = await server.json('GET', location.slice(server.baseUrl.length + 1));
  while (done.status === 202) {
    await new Promise((r) => setTimeout(r, 20));
    done = await server.json('GET', location.slice(server.baseUrl.length + 1));
  }
  expect(done.status).toBe(200);
  const refused = await server.json('POST', '$destruction-approve', approveBody(location));
  expect(refused.status).toBe(403);
  expect(refused.body.issue[0].diagnostics).toMatch(/two authorised users.*protected mode/);
  expect((await server.json('GET', 'Patient/old-1')).status).toBe(200);
});
