import { type SecureServer, startSecureServer } from '../security/support';

/**
 * `$jobs`: the caller's asynchronous jobs, newest first, each with its status URL, bound by the rule of that status
 * URL: a user sees the jobs it started, not another user's of the same app.
 */
let server: SecureServer;
beforeAll(async () => {
  server = await startSecureServer({ BULK_EXPORT_POLL: '20ms' });
});
afterAll(() => server.close());

const SCOPE = 'user/*.cruds';
const parts = (job: { part: Array<{ name: string; [k: string]: unknown }> }) =>
  Object.fromEntries(job.part.map((p) => [p.name, Object.entries(p).find(([k]) => k.startsWith('value'))?.[1]]));

async function caller(user: string) {
  return server.as(await server.sign({ scope: SCOPE, fhirUser: `Practitioner/${user}` }));
}

it("lists the caller's jobs newest first with kind, status and status URL, and none of another user's", async () => {
  const alice = await caller('alice');
  const bob = await caller('bob');
  const kick = async (who: typeof alice) => {
    const res = await who.json('POST', '$completeness-audit', { resourceType: 'Parameters' }, { prefer: 'respond-async' });
    expect(res.status).toBe(202);
    return res.headers.get('content-location') as string;
  };
  const first = await kick(alice);
  const second = await kick(alice);
  const bobs = await kick(bob);

  const listed = await alice.json('GET', '$jobs');
  expect(listed.status).toBe(200);
  const jobs = listed.body.parameter.map(parts);
  expect(jobs.map((j: Record<string, unknown>) => j['status-url'])).toEqual([second, first]);
  expect(jobs[0]).toMatchObject({ kind: 'completeness-audit', request: expect.stringContaining('$completeness-audit'), processed: expect.any(Number) });
  expect(['queued', 'running', 'completed']).toContain(jobs[0].status);

  const others = (await bob.json('GET', '$jobs')).body.parameter.map(parts);
  expect(others.map((j: Record<string, unknown>) => j['status-url'])).toEqual([bobs]);
});
