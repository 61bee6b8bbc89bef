import type { Basic, Bundle } from 'fhir/r4';
import { startTestServer, type TestServer } from '../helpers/server';
import { store } from '../merge/support';

/**
 * A hold racing the deletes it forbids (src/retention/hold-guard.ts): started together, exactly one wins. Either the
 * delete went first and the hold was placed after it, or the hold went first and the delete is refused with 409.
 * Never is a resource deleted while a hold placed before the deletion stands.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const PAIRS = 8;
const ROUNDS = 3;
const holdBody = {
  resourceType: 'Parameters',
  parameter: [
    { name: 'matter', valueString: 'RACE-1' },
    { name: 'reason', valueString: 'raced' },
  ],
};

/** When the resource's deletion was stored (its history's deletion entry). */
async function deletedAt(path: string): Promise<string> {
  const history = (await server.json<Bundle>('GET', `${path}/_history`)).body;
  const deletion = history.entry?.find((e) => e.request?.method === 'DELETE');
  return deletion?.response?.lastModified as string;
}

async function race(round: number, destructive: (i: number) => Promise<{ status: number }>, target: (i: number) => string) {
  const ids = Array.from({ length: PAIRS }, (_, i) => `race-${round}-${i}`);
  await store(
    server,
    ids.flatMap((id) => [
      { resourceType: 'Patient', id },
      { resourceType: 'Observation', id: `${id}-obs`, status: 'final', code: { text: 'raced' }, subject: { reference: `Patient/${id}` } },
    ]) as never,
  );
  const answers = await Promise.all(ids.map((id, i) => Promise.all([server.json<Basic>('POST', `Patient/${id}/$hold`, holdBody), destructive(i)])));
  for (const [i, [hold, removal]] of answers.entries()) {
    expect(hold.status).toBe(201);
    expect([200, 204, 409]).toContain(removal.status);
    const now = await server.json('GET', target(i));
    if (removal.status === 409) {
      // The hold went first.
      expect(now.status).toBe(200);
      expect((await server.json('DELETE', target(i))).status).toBe(409);
    } else {
      // The delete went first: the hold was placed after it.
      expect(now.status).toBe(410);
      expect(Date.parse(hold.body.meta!.lastUpdated!)).toBeGreaterThan(Date.parse(await deletedAt(target(i))));
    }
  }
}

describe('a hold and a delete of the same record started together', () => {
  it('a DELETE either goes before the hold or is refused with 409', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      await race(
        round,
        (i) => server.json('DELETE', `Observation/race-${round}-${i}-obs`),
        (i) => `Observation/race-${round}-${i}-obs`,
      );
    }
  });

  it('so does a DELETE in a transaction Bundle', async () => {
    const round = ROUNDS;
    const bundle = (i: number) => ({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ request: { method: 'DELETE', url: `Observation/race-${round}-${i}-obs` } }],
    });
    await race(
      round,
      (i) => server.json('POST', '', bundle(i)),
      (i) => `Observation/race-${round}-${i}-obs`,
    );
  });
});
